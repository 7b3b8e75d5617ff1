"""Address suggestions on addresses typed the way people type them (tests/fixtures/geo/typed_addresses.py).

The expected places are checked here against the packages' own data, read directly (not through the index
under test): the pre-2025 triples of vietnamadminunits, the 2025 wards of both vietnamadminunits and
vietnam-provinces. The same data decides, for random input, that no suggestion names a place that does not
exist; and the same cases go through the Google and Photon providers' fakes.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
import unicodedata
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crm_app.services.geo import COUNTRY, AddressSuggestion, OfflineProvider
from crm_app.services.geo.divisions import package_database, package_dir
from crm_app.settings import Settings
from tests.fixtures.geo import score
from tests.fixtures.geo.typed_addresses import CASES, HCM, Case
from tests.unit.test_geo_remote import FakeServer, fake  # noqa: F401 - `fake` is the fixture


@dataclass(frozen=True)
class PackageData:
    legacy: frozenset[tuple[str, str, str]]  # (province, district, ward); ward "" for the district itself
    current: frozenset[tuple[str, str]]  # (province, ward) after 2025; ward "" for the province itself
    provinces_before: frozenset[str]


def _spelling(name: str) -> str:
    """vietnam-provinces writes a few names with double spaces, "Hoà" for "Hòa", "–" for "-" or other case."""
    name = unicodedata.normalize("NFC", " ".join(name.replace("–", "-").replace("’", "'").split())).lower()
    return re.sub("o[àáảãạ]|u[ýỳỷỹỵ]", lambda m: _TONE_ON_FIRST[m.group()], name)


_TONE_ON_FIRST = dict(zip(["oà", "oá", "oả", "oã", "oạ", "uý", "uỳ", "uỷ", "uỹ", "uỵ"],
                          ["òa", "óa", "ỏa", "õa", "ọa", "úy", "ùy", "ủy", "ũy", "ụy"], strict=True))


@cache
def package_data() -> PackageData:
    with closing(sqlite3.connect(f"file:{package_database()}?mode=ro", uri=True)) as conn:
        rows = conn.execute("SELECT province, district, ward FROM admin_units_legacy").fetchall()
        legacy = {(p, d, w or "") for p, d, w in rows}
        current = set(conn.execute("SELECT province, ward FROM admin_units").fetchall())
    legacy |= {(p, d, "") for p, d, _ in legacy}
    # vietnam-provinces carries the 2025 map too: both packages must agree on every 2025 ward.
    nested = json.loads((package_dir("vietnam_provinces") / "data" / "nested-divisions.json").read_text("utf-8"))
    other = {(_spelling(p["name"]).removeprefix("tỉnh "), _spelling(w["name"])) for p in nested for w in p["wards"]}
    assert {(_spelling(p).removeprefix("tỉnh "), _spelling(w)) for p, w in current} == other
    current |= {(p, "") for p, _ in current}
    return PackageData(frozenset(legacy), frozenset(current), frozenset(p for p, _, _ in legacy))


def place_exists(ward: str, district: str, province: str) -> bool:
    data = package_data()
    if district:
        return (province, district, ward) in data.legacy
    if not ward:
        return (province, "") in data.current or province in data.provinces_before
    return (province, ward) in data.current


def test_the_set_is_large_and_every_expected_place_exists() -> None:
    assert len(CASES) >= 150
    assert len({c[0] for c in CASES}) == len(CASES), "a typed address is listed twice"
    missing = [c for c in CASES if not place_exists(c[1], c[2], c[3])]
    assert missing == []
    kinds = Counter(c[4] for c in CASES)
    assert kinds["old"] >= 40 and kinds["new"] >= 25 and kinds["typo"] >= 20
    assert kinds["street"] >= 10 and kinds["building"] >= 10
    unaccented = [c for c in CASES if c[0].isascii()]
    assert len(unaccented) >= 20


def test_top_3_ward_accuracy_is_at_least_97_percent() -> None:
    result = score(OfflineProvider())
    print("\n" + result.report())
    assert result.accuracy >= 0.97


def test_a_pre_2025_pick_names_its_2025_place() -> None:
    s = OfflineProvider().suggest("12 Nguyễn Huệ, P. Bến Nghé, Q.1, TP.HCM")[0]
    assert (s.ward, s.district, s.province) == ("Phường Bến Nghé", "Quận 1", HCM)  # filled as typed
    assert (s.ward_2025, s.province_2025, s.ward_2025_others) == ("Phường Sài Gòn", HCM, ())
    merged = OfflineProvider().suggest("Phường Phú Cường, TP Thủ Dầu Một, Bình Dương")[0]
    assert (merged.province, merged.province_2025) == ("Tỉnh Bình Dương", HCM)  # a province merged away
    divided = OfflineProvider().suggest("P. Dịch Vọng Hậu, Q. Cầu Giấy, Hà Nội")[0]
    assert divided.ward_2025 == "Phường Cầu Giấy" and divided.ward_2025_others == ("Phường Nghĩa Đô",)
    now = OfflineProvider().suggest("Phường Sài Gòn, TP.HCM")[0]
    assert (now.district, now.ward_2025, now.province_2025) == ("", "", "")  # already in the 2025 form


@pytest.mark.parametrize(
    "typed",
    [
        "Trần Duy Hưng",  # not "Tỉnh Hưng Yên"
        "88 Xô Viết Nghệ Tĩnh",  # not "Tỉnh ..."
        "12 Nguyễn Trãi",
        "Tôn Đức Thắng",
        "Số 3 ngách 12/5 Trần Duy Hưng",
        "Lô F",
        "Block Q",
        "Tòa nhà X",
    ],
)
def test_a_street_alone_names_no_place(typed: str) -> None:
    assert OfflineProvider().suggest(typed) == []


def test_a_ward_after_a_street_is_never_cut_in_two() -> None:
    got = OfflineProvider().suggest("12 Nguyễn Trãi, Phường Bến Thành")
    assert got and {s.ward for s in got} == {"Phường Bến Thành"}
    assert {s.street for s in got} == {"12 Nguyễn Trãi"}
    got = OfflineProvider().suggest("88 Xô Viết Nghệ Tĩnh, P.25, Q.Bình Thạnh")
    assert [(s.street, s.ward, s.district) for s in got] == [("88 Xô Viết Nghệ Tĩnh", "Phường 25", "Quận Bình Thạnh")]


def test_an_exact_name_ranks_above_a_typo_match() -> None:
    provider = OfflineProvider()
    # "Hòa Khánh" exists and so do names one letter away from it: typed right, it comes first.
    assert provider.suggest("Phường Hòa Khánh, Đà Nẵng")[0].ward == "Phường Hòa Khánh"
    assert provider.suggest("Phường Hòa Khánhh, Đà Nẵng")[0].ward == "Phường Hòa Khánh"
    assert provider.suggest("Ha Noii")[0].province == "Thành phố Hà Nội"
    assert provider.suggest("Hà Nội")[0].province == "Thành phố Hà Nội"


# --- no suggestion ever names a place that does not exist -------------------------------------------------


def _words_of_places() -> list[str]:
    data = package_data()
    rng = random.Random(7)
    names = sorted({n for t in data.legacy for n in t if n} | {n for t in data.current for n in t if n})
    return rng.sample(names, 400)


_PLACES = _words_of_places()
_TYPE_WORDS = ["P.", "p", "F", "Phường", "Q.", "q", "Quận", "H.", "Huyện", "TP.", "tp", "Thành phố", "Tỉnh", "tx.",
               "tt.", "Xã", "x", "HN", "HCM", "SG", "ĐN", "Sài Gòn", "Việt Nam", "Lô", "Block", "Tòa nhà"]
_STREET_WORDS = ["12", "5/7", "Nguyễn", "Trãi", "Trần", "Duy", "Hưng", "Xô", "Viết", "Nghệ", "Tĩnh", "Lê", "Lợi",
                 "ngõ", "hẻm", "số", "Bến", "Thành", "Hà", "Nội", "Bình", "An", "Tân"]


def _mistype(word: str, rng_choice: int) -> str:
    if len(word) < 5:
        return word
    i = rng_choice % len(word)
    return word[:i] + word[i + 1 :] if rng_choice % 2 else word[:i] + "x" + word[i:]


_piece = st.one_of(
    st.sampled_from(_PLACES),
    st.sampled_from(_PLACES).map(lambda n: unicodedata.normalize("NFD", n).encode("ascii", "ignore").decode()),
    st.tuples(st.sampled_from(_PLACES), st.integers(0, 50)).map(lambda t: _mistype(t[0], t[1])),
    st.sampled_from(_TYPE_WORDS),
    st.sampled_from(_STREET_WORDS),
    st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằắặầấậèẻéẹềếệìỉíịòỏóọồốộờớợùủúụừứựỳýỵ0123456789 ,.-/",
            max_size=12),
)
_separator = st.sampled_from([", ", " ", ",", " - ", ". "])


@st.composite
def typed_addresses(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(_piece, min_size=1, max_size=6))
    text = pieces[0]
    for p in pieces[1:]:
        text += draw(_separator) + p
    cut = draw(st.integers(1, max(1, len(text))))  # typed so far: any prefix, as on each keystroke
    return text[:cut] if draw(st.booleans()) else text


def assert_real(s: AddressSuggestion) -> None:
    assert place_exists(s.ward, s.district, s.province), s
    assert s.country == COUNTRY
    assert s.label == ", ".join(p for p in (s.street, s.ward, s.district, s.province) if p)
    if s.ward_2025:
        assert (s.province_2025, s.ward_2025) in package_data().current, s
    for other in s.ward_2025_others:
        assert (s.province_2025, other) in package_data().current, s
    if s.province_2025:
        assert not s.district or s.province in package_data().provinces_before


@settings(max_examples=600, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(typed_addresses())
@example("12 Nguyễn Trãi, Phường Bến Thành")
@example("Trần Duy Hưng")
@example("88 Xô Viết Nghệ Tĩnh, P.25, Q.Bình Thạnh")
@example("Xuân Hương, Đà Lạt")
def test_no_suggestion_names_a_place_that_does_not_exist(typed: str) -> None:
    for s in OfflineProvider().suggest(typed):
        assert_real(s)


# --- the same set through the remote providers' fakes -----------------------------------------------------


def _short(name: str) -> str:
    """How Google often writes a named ward or district: without its type word ("Bến Nghé", "Phú Nhuận")."""
    for prefix in ("Phường ", "Xã ", "Thị trấn ", "Quận ", "Huyện ", "Thị xã "):
        rest = name.removeprefix(prefix)
        if rest != name and not rest[0].isdigit():
            return rest
    return name


def _google_answer(case: Case, i: int) -> tuple[dict[str, Any], dict[str, Any]]:
    typed, ward, district, province, _ = case
    ward_text, district_text = (_short(ward), _short(district)) if i % 2 else (ward, district)
    province_text = province.removeprefix("Tỉnh ") if i % 3 else province
    formatted = ", ".join(p for p in ("1 Đường Số 1", ward_text, district_text, province_text, "Vietnam") if p)
    components = [
        {"long_name": "1", "short_name": "1", "types": ["street_number"]},
        {"long_name": "Đường Số 1", "short_name": "Đường Số 1", "types": ["route"]},
    ]
    if ward and i % 4 != 1:  # Google often leaves the ward out of the components: then it is only in the text
        components.append({"long_name": ward_text, "short_name": ward_text,
                           "types": ["administrative_area_level_3", "political"]})
    if district:
        components.append({"long_name": district_text, "short_name": district_text,
                           "types": ["administrative_area_level_2", "political"]})
    components += [
        {"long_name": province_text, "short_name": province_text,
         "types": ["administrative_area_level_1", "political"]},
        {"long_name": "Vietnam", "short_name": "VN", "types": ["country", "political"]},
    ]
    prediction = {"description": formatted, "place_id": f"place-{i}",
                  "structured_formatting": {"main_text": "1 Đường Số 1", "secondary_text": formatted}}
    return ({"status": "OK", "predictions": [prediction]},
            {"status": "OK", "result": {"formatted_address": formatted, "address_components": components}})


def _photon_answer(case: Case, i: int) -> dict[str, Any]:
    _, ward, district, province, _ = case
    props: dict[str, Any] = {"osm_type": "W", "osm_id": i, "housenumber": "1", "street": "Đường Số 1",
                             "state": province, "country": "Việt Nam", "countrycode": "VN"}
    if ward:
        props["district" if i % 2 else "locality"] = ward
    if district:
        props["county"] = district
    return {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": props,
                                                       "geometry": {"type": "Point", "coordinates": [106.7, 10.8]}}]}


@pytest.mark.parametrize("provider", ["google", "photon"])
def test_provider_answers_are_mapped_to_the_right_fields(fake: FakeServer, provider: str) -> None:  # noqa: F811
    from crm_app.services.geo import get_address_service

    answers = {case[0]: i for i, case in enumerate(CASES)}
    current: list[int] = [0]

    def answer(path: str, params: dict[str, str]) -> Any:
        if path == "/api":
            return _photon_answer(CASES[answers[params["q"]]], answers[params["q"]])
        if path.endswith("autocomplete/json"):
            current[0] = answers[params["input"]]
            return _google_answer(CASES[current[0]], current[0])[0]
        return _google_answer(CASES[int(params["place_id"].split("-")[1])], current[0])[1]

    fake.answer = answer
    if provider == "google":
        service = get_address_service(Settings(google_maps_key="k", google_places_base=fake.base_url, photon_url=""))
    else:
        service = get_address_service(Settings(google_maps_key="", photon_url=fake.base_url))
    wrong = []
    for typed, ward, district, province, _ in CASES:
        got = service.suggest(typed)
        assert got and got[0].provider == provider, typed
        s = service.resolve(got[0], session_token=None)
        if (s.ward, s.district, s.province, s.country, s.street) != (ward, district, province, COUNTRY, "1 Đường Số 1"):
            wrong.append(f"{typed!r}: {(s.ward, s.district, s.province, s.country, s.street)}")
    assert wrong == []
