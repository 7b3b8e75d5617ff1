"""Google Places and Photon providers against local fake servers speaking the documented formats.

The fakes run as threads in the test process on 127.0.0.1 with a free port; nothing leaves the machine.
Each can answer normally, with an HTTP error, with an API error status, or too slowly.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from crm_app.services.geo import (
    COUNTRY,
    FallbackProvider,
    GooglePlacesProvider,
    PhotonProvider,
    get_address_service,
    new_session_token,
)
from crm_app.settings import Settings

HCM = "Thành phố Hồ Chí Minh"

GOOGLE_AUTOCOMPLETE = {
    "status": "OK",
    "predictions": [
        {
            "description": "12 Nguyễn Huệ, Bến Nghé, Quận 1, Thành phố Hồ Chí Minh, Việt Nam",
            "place_id": "ChIJ-nguyen-hue-12",
            "structured_formatting": {
                "main_text": "12 Nguyễn Huệ",
                "secondary_text": "Bến Nghé, Quận 1, Thành phố Hồ Chí Minh, Việt Nam",
            },
            "terms": [{"offset": 0, "value": "12 Nguyễn Huệ"}],
            "types": ["street_address", "geocode"],
        },
        {
            "description": "Nguyễn Huệ, Phường Sài Gòn, Thành phố Hồ Chí Minh, Việt Nam",
            "place_id": "ChIJ-nguyen-hue-street",
            "structured_formatting": {
                "main_text": "Nguyễn Huệ",
                "secondary_text": "Phường Sài Gòn, Thành phố Hồ Chí Minh",
            },
            "types": ["route", "geocode"],
        },
    ],
}

GOOGLE_DETAILS = {
    "status": "OK",
    "result": {
        "formatted_address": "12 Nguyễn Huệ, Bến Nghé, Quận 1, Thành phố Hồ Chí Minh, Việt Nam",
        "address_components": [
            {"long_name": "12", "short_name": "12", "types": ["street_number"]},
            {"long_name": "Nguyễn Huệ", "short_name": "Nguyễn Huệ", "types": ["route"]},
            {
                "long_name": "Bến Nghé",
                "short_name": "Bến Nghé",
                "types": ["sublocality_level_1", "sublocality", "political"],
            },
            {"long_name": "Quận 1", "short_name": "Quận 1", "types": ["administrative_area_level_2", "political"]},
            {"long_name": HCM, "short_name": HCM, "types": ["administrative_area_level_1", "political"]},
            {"long_name": "Việt Nam", "short_name": "VN", "types": ["country", "political"]},
        ],
    },
}

PHOTON_RESULT = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [106.7035, 10.7741]},
            "properties": {
                "osm_type": "N",
                "osm_id": 123,
                "osm_key": "place",
                "osm_value": "house",
                "type": "house",
                "housenumber": "12",
                "street": "Nguyễn Huệ",
                "district": "Phường Sài Gòn",
                "city": HCM,
                "state": HCM,
                "country": "Việt Nam",
                "countrycode": "VN",
                "postcode": "700000",
            },
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [100.5, 13.7]},
            "properties": {"name": "Nguyen Hue Hostel", "city": "Bangkok", "country": "Thailand", "countrycode": "TH"},
        },
    ],
}


@dataclass
class FakeServer:
    """A fake geocoder: `mode` is "ok", "http_error", "denied", "zero" or "slow"; every request is recorded.
    `answer`, when set, answers instead of the fixed bodies: (path, query parameters) -> JSON body."""

    base_url: str = ""
    mode: str = "ok"
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    answer: Callable[[str, dict[str, str]], Any] | None = None

    def count(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)


def _answer(server: FakeServer, path: str) -> tuple[int, Any]:
    if server.mode == "http_error":
        return 500, {"error": "internal"}
    if server.mode == "slow":
        time.sleep(3)
    if path == "/maps/api/place/autocomplete/json":
        if server.mode == "zero":
            return 200, {"status": "ZERO_RESULTS", "predictions": []}
        if server.mode == "denied":
            return 200, {
                "status": "REQUEST_DENIED",
                "error_message": "The provided API key is invalid.",
                "predictions": [],
            }
        return 200, GOOGLE_AUTOCOMPLETE
    if path == "/maps/api/place/details/json":
        return 200, GOOGLE_DETAILS
    if path == "/api":
        return 200, PHOTON_RESULT
    return 404, {"error": "not found"}


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    state = FakeServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            url = urlsplit(self.path)
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            state.requests.append((url.path, params))
            status, body = (200, state.answer(url.path, params)) if state.answer else _answer(state, url.path)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up on a slow answer
                self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield state
    httpd.shutdown()
    httpd.server_close()


def google_service(fake: FakeServer) -> FallbackProvider:
    return get_address_service(Settings(google_maps_key="test-key", google_places_base=fake.base_url, photon_url=""))


def photon_service(fake: FakeServer) -> FallbackProvider:
    return get_address_service(Settings(google_maps_key="", photon_url=fake.base_url))


# --- Google Places ---------------------------------------------------------------------------------


def test_google_suggestions_then_details_fill_the_form_fields(fake: FakeServer) -> None:
    service = google_service(fake)
    token = new_session_token()

    suggestions = service.suggest("12 Nguyễn Huệ", session_token=token)

    assert [s.label for s in suggestions] == [p["description"] for p in GOOGLE_AUTOCOMPLETE["predictions"]]
    first = suggestions[0]
    assert (first.street, first.provider, first.ref) == ("12 Nguyễn Huệ", "google", "ChIJ-nguyen-hue-12")

    chosen = service.resolve(first, session_token=token)
    assert (chosen.street, chosen.ward, chosen.district, chosen.province, chosen.country) == (
        "12 Nguyễn Huệ",
        "Phường Bến Nghé",  # put in the official spelling
        "Quận 1",
        HCM,
        "Việt Nam",
    )


def test_google_requests_are_vietnamese_restricted_to_vietnam_and_share_the_session_token(fake: FakeServer) -> None:
    service = google_service(fake)
    token = new_session_token()
    s = service.suggest("12 Nguyễn Huệ", session_token=token)[0]
    service.resolve(s, session_token=token)

    (auto_path, auto), (details_path, details) = fake.requests
    assert auto_path == "/maps/api/place/autocomplete/json"
    assert auto == {
        "input": "12 Nguyễn Huệ",
        "key": "test-key",
        "language": "vi",
        "components": "country:vn",
        "sessiontoken": token,
    }
    assert details_path == "/maps/api/place/details/json"
    assert details["place_id"] == "ChIJ-nguyen-hue-12"
    assert details["sessiontoken"] == token  # the details call closes the billed session
    assert details["key"] == "test-key" and details["language"] == "vi"
    assert "address_components" in details["fields"].split(",")


@pytest.mark.parametrize("mode", ["http_error", "denied"])
def test_google_error_falls_back_to_offline(fake: FakeServer, mode: str) -> None:
    fake.mode = mode
    suggestions = google_service(fake).suggest("12 Nguyễn Huệ, P. Bến Nghé, Q.1, TP.HCM")

    assert fake.count("/maps/api/place/autocomplete/json") == 1
    top = suggestions[0]
    assert (top.provider, top.street, top.ward, top.district, top.province, top.country) == (
        "offline",
        "12 Nguyễn Huệ",
        "Phường Bến Nghé",
        "Quận 1",
        HCM,
        COUNTRY,
    )


def test_google_zero_results_gives_the_offline_suggestions(fake: FakeServer) -> None:
    fake.mode = "zero"
    top = google_service(fake).suggest("Hẻm 51 Cao Thắng, phường 3 quận 3 tp hồ chí minh")[0]
    assert (top.provider, top.street, top.ward, top.district) == ("offline", "Hẻm 51 Cao Thắng", "Phường 3", "Quận 3")


def test_google_timeout_falls_back_to_offline_without_blocking(fake: FakeServer) -> None:
    fake.mode = "slow"
    service = google_service(fake)

    started = time.monotonic()
    suggestions = service.suggest("45 Lê Lợi, Phường Bến Thành, TP.HCM")
    elapsed = time.monotonic() - started

    assert elapsed < 2.5  # the fake answers after 3 s; the form waits ~1.5 s at most
    assert (suggestions[0].provider, suggestions[0].ward, suggestions[0].province) == (
        "offline",
        "Phường Bến Thành",
        HCM,
    )


def test_google_details_failure_fills_fields_offline_from_the_label(fake: FakeServer) -> None:
    service = google_service(fake)
    s = service.suggest("12 Nguyễn Huệ")[0]
    fake.mode = "http_error"

    chosen = service.resolve(s, session_token=None)

    assert (chosen.street, chosen.ward, chosen.district, chosen.province, chosen.country) == (
        "12 Nguyễn Huệ",
        "Phường Bến Nghé",
        "Quận 1",
        HCM,
        COUNTRY,
    )


def test_google_suggestions_are_cached_per_folded_query(fake: FakeServer) -> None:
    service = google_service(fake)
    first = service.suggest("12 Nguyễn Huệ", session_token="a")
    again = service.suggest("12 nguyen hue", session_token="a")  # same keystrokes without accents

    assert again == first
    assert fake.count("/maps/api/place/autocomplete/json") == 1


def test_failed_remote_answers_are_not_cached(fake: FakeServer) -> None:
    service = google_service(fake)
    fake.mode = "http_error"
    assert service.suggest("12 Nguyễn Huệ, Q.1")[0].provider == "offline"
    fake.mode = "ok"
    assert service.suggest("12 Nguyễn Huệ, Q.1")[0].provider == "google"  # recovered at the next keystroke
    assert fake.count("/maps/api/place/autocomplete/json") == 2


def test_short_input_is_answered_offline_without_a_billed_request(fake: FakeServer) -> None:
    google_service(fake).suggest("hn")
    assert fake.requests == []


def test_google_provider_alone_passes_no_token_when_none_given(fake: FakeServer) -> None:
    GooglePlacesProvider(fake.base_url, "k").suggest("12 Nguyễn Huệ")
    assert "sessiontoken" not in fake.requests[0][1]


# --- Photon (OpenStreetMap) -----------------------------------------------------------------------


def test_photon_suggestions_fill_the_form_fields(fake: FakeServer) -> None:
    service = photon_service(fake)
    suggestions = service.suggest("12 Nguyễn Huệ")

    assert len(suggestions) == 1  # the Thai result is dropped
    s = service.resolve(suggestions[0], session_token=None)
    assert (s.provider, s.street, s.ward, s.province, s.country) == (
        "photon",
        "12 Nguyễn Huệ",
        "Phường Sài Gòn",
        HCM,
        "Việt Nam",
    )
    assert s.label == "12 Nguyễn Huệ, Phường Sài Gòn, Thành phố Hồ Chí Minh"
    path, params = fake.requests[0]
    assert path == "/api" and params["q"] == "12 Nguyễn Huệ" and params["limit"] == "6"


def test_photon_error_falls_back_to_offline(fake: FakeServer) -> None:
    fake.mode = "http_error"
    s = photon_service(fake).suggest("12 Nguyễn Huệ, Phường Sài Gòn, TP Hồ Chí Minh")[0]
    assert (s.provider, s.street, s.ward, s.district, s.province) == (
        "offline",
        "12 Nguyễn Huệ",
        "Phường Sài Gòn",
        "",
        HCM,
    )


def test_photon_timeout_falls_back_to_offline(fake: FakeServer) -> None:
    fake.mode = "slow"
    started = time.monotonic()
    s = photon_service(fake).suggest("Phường Dịch Vọng Hậu, Hà Nội")[0]
    assert time.monotonic() - started < 2.5
    assert (s.provider, s.ward, s.district) == ("offline", "Phường Dịch Vọng Hậu", "Quận Cầu Giấy")


def test_photon_provider_used_directly_reports_its_errors(fake: FakeServer) -> None:
    fake.mode = "http_error"
    with pytest.raises(Exception, match="500"):
        PhotonProvider(fake.base_url).suggest("12 Nguyễn Huệ")


# --- provider choice ------------------------------------------------------------------------------


def test_service_picks_google_then_photon_then_offline() -> None:
    assert get_address_service(Settings(google_maps_key="k", photon_url="http://127.0.0.1:9")).name == "google"
    assert get_address_service(Settings(google_maps_key="", photon_url="http://127.0.0.1:9")).name == "photon"
    offline = get_address_service(Settings(google_maps_key="", photon_url=""))
    assert offline.name == "offline"
    assert offline.suggest("p ben nghe q1")[0].label == "Phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh"
