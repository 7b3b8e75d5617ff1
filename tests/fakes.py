"""A fake Zalo OA / Facebook Graph API server answering the documented shapes, and the channel
settings the test app is started with (one app per test session: the frontend bakes its port)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

ZALO_APP_ID = "36084652489903967"
ZALO_SECRET = "zalo-oa-secret"
ZALO_TOKEN = "zalo-access-token"
FB_SECRET = "fb-app-secret"
FB_VERIFY = "fb-verify"
FB_PAGE_TOKEN = "fb-page-token"
HANA_SECRET = "hana-secret"
BBH_SECRET = "bbh-secret"
FORM_SECRET = "form-secret-ưu"  # non-ASCII on purpose: compare_digest must get bytes

ZALO_NAMES = {"24684588352919792": "Thu Hương", "24684588352919793": "Minh Tuấn"}
FB_PROFILES = {"6000000000000001": ("Cường", "Nguyễn")}
LEADGEN = {
    "444444444444444441": [{"name": "full_name", "values": ["Trần Thị Bích"]},
                           {"name": "email", "values": ["bich@example.com"]},
                           {"name": "phone_number", "values": ["+84912111222"]},
                           {"name": "city", "values": ["Hà Nội"]}],
    "444444444444444442": [{"name": "first_name", "values": ["Joe"]}, {"name": "last_name", "values": ["Example"]},
                           {"name": "phone_number", "values": ["+84912111333"]}],
}
FAILING_LEADGEN: set[str] = set()  # answered with 500 while listed
# Answers collected from the real APIs (tests/fixtures/payloads/graph, zalo_api), served while
# listed: Graph by the id in the path (a PSID or a leadgen id) as (status, body), Zalo user/detail
# by user id. LOOKUPS records every look-up the app makes (path and id), for "no look-up" checks.
GRAPH_ANSWERS: dict[str, tuple[int, object]] = {}
ZALO_DETAILS: dict[str, object] = {}
LOOKUPS: list[str] = []


class FakeProviders(BaseHTTPRequestHandler):
    def log_message(self, *_args: object) -> None:
        pass

    def _send(self, status: int, data: object) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/v3.0/oa/user/detail":
            if self.headers.get("access_token") != ZALO_TOKEN:
                return self._send(200, {"error": -216, "message": "Access token is invalid"})
            uid = json.loads(query["data"])["user_id"]
            LOOKUPS.append(f"zalo:{uid}")
            if uid in ZALO_DETAILS:
                return self._send(200, ZALO_DETAILS[uid])
            return self._send(200, {"error": 0, "message": "Success", "data": {
                "user_id": uid, "display_name": ZALO_NAMES.get(uid, "Zalo User"), "shared_info": {}}})
        if query.get("access_token") != FB_PAGE_TOKEN:
            return self._send(400, {"error": {"message": "Invalid OAuth access token"}})
        object_id = unquote(url.path.rstrip("/").rsplit("/", 1)[-1])
        LOOKUPS.append(f"graph:{object_id}")
        if object_id in GRAPH_ANSWERS:
            return self._send(*GRAPH_ANSWERS[object_id])
        if url.path.startswith("/v21.0/"):
            leadgen_id = url.path.rsplit("/", 1)[1]
            if leadgen_id in FAILING_LEADGEN:
                return self._send(500, {"error": {"message": "temporarily unavailable"}})
            return self._send(200, {"id": leadgen_id, "created_time": "2015-02-28T08:49:14+0000",
                                    "field_data": LEADGEN.get(leadgen_id, [])})
        first, last = FB_PROFILES.get(url.path.strip("/"), ("Khách", "Facebook"))
        return self._send(200, {"first_name": first, "last_name": last, "id": url.path.strip("/")})


@contextmanager
def fake_providers() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeProviders)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()




def channel_env(providers_url: str) -> dict[str, str]:
    return {
        "CRM_ZALO_APP_ID": ZALO_APP_ID, "CRM_ZALO_OA_SECRET": ZALO_SECRET, "CRM_ZALO_OA_ACCESS_TOKEN": ZALO_TOKEN,
        "CRM_ZALO_API_BASE": providers_url, "CRM_FB_APP_SECRET": FB_SECRET, "CRM_FB_VERIFY_TOKEN": FB_VERIFY,
        "CRM_FB_PAGE_TOKEN": FB_PAGE_TOKEN, "CRM_FB_GRAPH_BASE": providers_url,
        "CRM_CHATBOT_SECRET_HANA": HANA_SECRET, "CRM_CHATBOT_SECRET_BOTBANHANG": BBH_SECRET,
        "CRM_WEBHOOK_BODY_LIMIT": "65536",
    }
