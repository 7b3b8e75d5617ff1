"""Vietnam's administrative divisions before and after the 2025 reform, as one read-only index.

Everything comes from the `vietnamadminunits` package's bundled files, read directly so that its parser (and
the shapely/geopy it imports) is not needed:
- `admin_units_legacy`: the pre-2025 map, 63 provinces → districts → wards;
- `admin_units`: the map in force since 1 July 2025, 34 provinces → wards (no districts);
- `converter_2025.json`: which 2025 ward each pre-2025 ward became (a divided ward lists several, one default).

A unit is named in the index by its folded "core" words, without its type word ("Phường Bến Nghé" → "ben nghe"),
with and without each way its type word is typed ("p ben nghe", "f 12", "q 1", "tp hcm"). Numbers and initials
("Q.1", "Q.TB") only count with their type word. Names are also kept letter-only ("bennghe") for typo matching.
"""

from __future__ import annotations

import bisect
import importlib.util
import json
import re
import sqlite3
import threading
import unicodedata
from collections import defaultdict
from contextlib import closing
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA

WARD, DISTRICT, PROVINCE = 0, 1, 2
NEW, OLD = "new", "old"

# Folded type words and how each is typed, per level and official type.
TYPE_PREFIXES: dict[int, dict[str, tuple[str, ...]]] = {
    PROVINCE: {"thanh pho": ("thanh pho", "tp"), "tinh": ("tinh",)},
    DISTRICT: {
        "quan": ("quan", "q", "district"),
        "huyen": ("huyen", "h"),
        "thi xa": ("thi xa", "tx"),
        "thanh pho": ("thanh pho", "tp"),
    },
    WARD: {
        # "F" is how many Saigon residents write "Phường" ("F12").
        "phuong": ("phuong", "p", "f", "ward"),
        "xa": ("xa", "x"),
        "thi tran": ("thi tran", "tt"),
        "dac khu": ("dac khu",),
    },
}
# Every typed form of a type word → the levels it can introduce.
TYPE_WORDS: dict[tuple[str, ...], frozenset[int]] = {}
for _level, _types in TYPE_PREFIXES.items():
    for _variants in _types.values():
        for _v in _variants:
            _key = tuple(_v.split())
            TYPE_WORDS[_key] = TYPE_WORDS.get(_key, frozenset()) | {_level}

# Colloquial province names (folded) that cannot be derived from the official ones.
PROVINCE_ALIASES: dict[str, tuple[str, ...]] = {
    "ho chi minh": ("hcm", "tphcm", "tp hcm", "hcmc", "sai gon", "saigon", "sg", "tp sg", "ho chi minh city"),
    "ha noi": ("hn", "tp hn", "tphn", "hanoi"),
    "da nang": ("dn", "tp dn", "danang"),
    "hai phong": ("hp",),
    "can tho": ("tp ct",),
    "ba ria vung tau": ("brvt", "br vt"),
    "binh duong": ("bd",),
    "hue": ("thua thien hue", "tt hue"),
}
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5"}
TOKEN = re.compile(r"[a-z]+|[0-9]+|,")


@lru_cache(maxsize=4096)  # a few hundred distinct characters; folding each through NFD is the costly part
def fold_char(c: str) -> str:
    if c in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", c)[0].lower()
    return base if len(base) == 1 else " "


def fold_words(text: str) -> tuple[str, ...]:
    """Folded words of `text`; numbers without leading zeros ("Q.01" == "Q1")."""
    folded = "".join(fold_char(c) for c in unicodedata.normalize("NFC", text))
    return tuple(str(int(t)) if t.isdigit() else t for t in TOKEN.findall(folded) if t != ",")


# Both tone placements are in use ("Hòa"/"Hoà", "Thủy"/"Thuỷ"); accents are compared in one of them.
_TONE_ON_SECOND = re.compile("o[àáảãạ]|u[ýỳỷỹỵ]")
_TONE_ON_FIRST = {
    "oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa",
    "uý": "úy", "uỳ": "ùy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy",
}  # fmt: skip


def accented_words(text: str) -> tuple[tuple[str, str], ...]:
    """("hòa", "hoa") pairs for the words of `text`; empty when it has no diacritics at all."""
    if text.isascii():
        return ()
    toned = _TONE_ON_SECOND.sub(lambda m: _TONE_ON_FIRST[m.group()], text.lower())
    return tuple((w, "".join(fold_char(c) for c in w)) for w in re.findall(r"\w+", toned))


def split_type(name: str, level: int) -> tuple[str, tuple[str, ...]]:
    """("Quận 1", DISTRICT) -> ("quan", ("1",)): the folded type word and the folded proper name."""
    words = fold_words(name)
    for type_word in sorted(TYPE_PREFIXES[level], key=len, reverse=True):
        t = tuple(type_word.split())
        if words[: len(t)] == t and len(words) > len(t):
            return type_word, words[len(t) :]
    return "", words


@dataclass(frozen=True, slots=True)
class Unit:
    level: int
    system: str
    name: str  # official spelling, with its type word: "Phường Bến Nghé"
    parent: int  # index of the enclosing unit in `DivisionIndex.units`, -1 for a province
    type_word: str  # folded: "phuong", "thanh pho"...
    core: tuple[str, ...]  # folded name without the type word
    # (accented, folded) words of the core when the name has diacritics: to prefer "Tân Thạnh" over "Tân Thành"
    # when the user typed accents.
    accented: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Hit:
    unit: int
    prefixed: bool  # the user typed the type word ("P.", "Quận") in front of the name
    edits: int = 0  # letters typed wrong (typo matching); 0 for an exact match


class DivisionIndex:
    """Both maps, the ways their names are typed, and the 2025 successor of each pre-2025 unit."""

    def __init__(
        self,
        new_rows: list[tuple[str, str, str, str]],
        legacy_rows: list[tuple[str, str, str | None, str, str, str | None]],
        converter: dict,
    ):
        self.units: list[Unit] = []
        self.exact: dict[tuple[str, ...], list[Hit]] = defaultdict(list)
        self._letters: dict[int, dict[str, list[int]]] = {lvl: defaultdict(list) for lvl in (WARD, DISTRICT, PROVINCE)}
        new_keys = self._load_new(new_rows)
        old_keys = self._load_legacy(legacy_rows)
        self.successors = self._successors(converter, new_keys, old_keys)
        # For names still being typed: the words that may follow each word sequence ("p ben" -> "nghe",
        # "thanh"...) and the full names each word sequence starts.
        completions: dict[tuple[str, ...], set[str]] = defaultdict(set)
        extensions: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
        for key in self.exact:
            for j in range(1, len(key) + 1):
                completions[key[: j - 1]].add(key[j - 1])
                extensions[key[:j]].append(key)
        self.completions = {head: sorted(words) for head, words in completions.items()}
        self.extensions = dict(extensions)
        self.exact = dict(self.exact)
        # Letter-only names sorted by length, for typo matching against names of about the typed length.
        self._by_length: dict[int, tuple[list[str], list[int]]] = {}
        for level, names in self._letters.items():
            ordered = sorted(names, key=len)
            self._by_length[level] = (ordered, [len(n) for n in ordered])
        self._letters = {level: dict(names) for level, names in self._letters.items()}
        # Each keystroke asks again about the parts typed before it: those answers are kept.
        self.similar = lru_cache(maxsize=8192)(self._similar)

    # -- loading --------------------------------------------------------------------------------

    def _add(self, level: int, system: str, name: str, parent: int, extra: tuple[str, ...] = ()) -> int:
        uid = len(self.units)
        name = " ".join(name.split())
        type_word, core = split_type(name, level)
        core_text = " ".join(name.split()[len(type_word.split()) :])
        self.units.append(Unit(level, system, name, parent, type_word, core, accented_words(core_text)))
        cores = {core, *(fold_words(e) for e in extra)}
        if core and core[-1] in _ROMAN:  # "Hải Châu I" typed as "hai chau 1"
            cores.add((*core[:-1], _ROMAN[core[-1]]))
        prefixes = [tuple(p.split()) for p in TYPE_PREFIXES[level].get(type_word, ())]
        for c in cores:
            if not c:
                continue
            # A bare number ("1") is only a division when its type word is typed ("Q1", "Phường 1").
            if not c[0].isdigit():
                self.exact[c].append(Hit(uid, False))
                letters = "".join(c)
                if len(letters) >= 5 and letters.isalpha():
                    self._letters[level][letters].append(uid)
            for p in prefixes:
                self.exact[(*p, *c)].append(Hit(uid, True))
        if level == DISTRICT and len(core) >= 2 and all(w.isalpha() for w in core):
            initials = ("".join(w[0] for w in core),)  # "Q.TB" is Quận Tân Bình: only with its type word
            for p in prefixes:
                self.exact[(*p, *initials)].append(Hit(uid, True))
        return uid

    def _load_new(self, rows: list[tuple[str, str, str, str]]) -> dict[tuple[str, str], int]:
        provinces: dict[str, int] = {}
        keys: dict[tuple[str, str], int] = {}
        for province, ward, province_key, ward_key in rows:
            if province not in provinces:
                provinces[province] = self._add(PROVINCE, NEW, province, -1, _province_extras(province))
                keys[(province_key, "")] = provinces[province]
            keys[(province_key, ward_key)] = self._add(WARD, NEW, ward, provinces[province])
        return keys

    def _load_legacy(self, rows: list[tuple[str, str, str | None, str, str, str | None]]) -> dict[str, int]:
        provinces: dict[str, int] = {}
        districts: dict[tuple[str, str], int] = {}
        keys: dict[str, int] = {}  # the converter's keys: "province", "province_district_", "province_district_ward"
        for province, district, ward, province_key, district_key, ward_key in rows:
            if province not in provinces:
                provinces[province] = self._add(PROVINCE, OLD, province, -1, _province_extras(province))
                keys[province_key] = provinces[province]
            dkey = (province, district)
            if dkey not in districts:
                districts[dkey] = self._add(DISTRICT, OLD, district, provinces[province])
                keys[f"{province_key}_{district_key}_"] = districts[dkey]
            if ward:  # island districts have no wards
                uid = self._add(WARD, OLD, ward, districts[dkey])
                keys[f"{province_key}_{district_key}_{ward_key}"] = uid
        return keys

    @staticmethod
    def _successors(
        converter: dict, new_keys: dict[tuple[str, str], int], old_keys: dict[str, int]
    ) -> dict[int, tuple[int, ...]]:
        """Pre-2025 unit → the 2025 unit(s) it became: wards → wards (the default first), provinces → province."""
        out: dict[int, list[int]] = defaultdict(list)
        for new_province, old_provinces in converter["DICT_PROVINCE"].items():
            for old in old_provinces:
                if old in old_keys and (new_province, "") in new_keys:
                    out[old_keys[old]].append(new_keys[(new_province, "")])
        for new_province, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
            for new_ward, olds in wards.items():
                for old in olds:
                    if old in old_keys and (new_province, new_ward) in new_keys:
                        out[old_keys[old]].append(new_keys[(new_province, new_ward)])
        for new_province, divided in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
            for old, choices in divided.items():
                ordered = sorted(choices, key=lambda c: not c["isDefaultNewWard"])
                for c in ordered:
                    if old in old_keys and (new_province, c["newWardKey"]) in new_keys:
                        out[old_keys[old]].append(new_keys[(new_province, c["newWardKey"])])
        return {uid: tuple(dict.fromkeys(new)) for uid, new in out.items()}

    # -- lookup -----------------------------------------------------------------------------------

    def province_of(self, uid: int) -> int:
        while self.units[uid].parent >= 0:
            uid = self.units[uid].parent
        return uid

    def _similar(self, letters: str, level: int, max_edits: int) -> tuple[tuple[int, int], ...]:
        """(unit, edits) for names of `level` within `max_edits` typed letters (a swap of two counts once)."""
        names, lengths = self._by_length[level]
        lo = bisect.bisect_left(lengths, len(letters) - max_edits)
        hi = bisect.bisect_right(lengths, len(letters) + max_edits)
        found = process.extract(letters, names[lo:hi], scorer=OSA.distance, score_cutoff=max_edits, limit=12)
        table = self._letters[level]
        return tuple((uid, int(edits)) for name, edits, _ in found for uid in table[name])


def _province_extras(name: str) -> tuple[str, ...]:
    core = " ".join(split_type(name, PROVINCE)[1])
    return (core.replace(" ", ""), *PROVINCE_ALIASES.get(core, ()))


def package_dir(package: str) -> Path:
    # find_spec locates the package without importing it (vietnamadminunits' __init__ pulls in shapely).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package {package!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def package_database() -> Path:
    return package_dir("vietnamadminunits") / "data" / "dataset.db"


def build_index() -> DivisionIndex:
    data = package_dir("vietnamadminunits") / "data"
    with closing(sqlite3.connect(f"file:{data / 'dataset.db'}?mode=ro", uri=True)) as conn:
        new_rows = conn.execute(
            "SELECT province, ward, provinceKey, wardKey FROM admin_units ORDER BY provinceCode, wardCode"
        ).fetchall()
        legacy_rows = conn.execute(
            "SELECT province, district, ward, provinceKey, districtKey, wardKey FROM admin_units_legacy"
            " ORDER BY provinceCode, districtCode, wardCode"
        ).fetchall()
    converter = json.loads((data / "converter_2025.json").read_text("utf-8"))
    return DivisionIndex(new_rows, legacy_rows, converter)


_index: DivisionIndex | None = None
_index_lock = threading.Lock()


def warm_up() -> None:
    """Builds the shared index on a background thread, so that the first keystroke of a form does not wait."""
    if _index is None:
        threading.Thread(target=shared_index, name="geo-index", daemon=True).start()


def shared_index() -> DivisionIndex:
    """The process-wide index, built on first use (well under a second) and shared by all threads."""
    global _index
    if _index is None:
        with _index_lock:
            if _index is None:
                _index = build_index()
    return _index
