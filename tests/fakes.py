"""A fake Zalo OA / Zalo OAuth / Facebook Graph API server answering the documented shapes, and the
channel settings the test app is started with (one app per test session: the frontend bakes its port)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

ZALO_APP_ID = "36084652489903967"
ZALO_SECRET = "zalo-oa-secret"
ZALO_TOKEN = "zalo-access-token"
ZALO_APP_SECRET = "zalo-app-secret"
ZALO_OA_ID = "388613280879808645"
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
ZALO_API_FIXTURES = Path(__file__).parent / "fixtures" / "payloads" / "zalo_api"


def zalo_api_fixture(name: str) -> dict[str, Any]:
    return json.loads((ZALO_API_FIXTURES / name).read_text(encoding="utf-8"))


class FakeZaloOAuth:
    """Zalo OAuth v4 as CHANNELS.md documents it: a code is bound to its PKCE challenge and used
    once; a refresh token is spent by its first use (a second answers -14020); an access token is
    valid until a test expires it (then the OA API answers -216, or HTTP 401 if asked)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.codes: dict[str, str] = {}  # code -> code_challenge
            self.access: dict[str, bool] = {}  # issued access token -> still valid
            self.refresh: dict[str, bool] = {}  # issued refresh token -> not yet spent
            self.refresh_calls = 0
            self.code_calls = 0
            self.bad_secret_calls = 0
            self.refresh_delay = 0.0  # seconds a refresh takes: widens the window two workers race in
            self.expired_status = 200  # 401: an expired token is answered with HTTP 401 instead of -216
            self.expires_in = "90000"

    def _issue(self) -> dict[str, Any]:
        answer = zalo_api_fixture("oauth_access_token.shape.json")
        access, refresh = f"zat-{secrets.token_urlsafe(24)}", f"zrt-{secrets.token_urlsafe(24)}"
        self.access[access], self.refresh[refresh] = True, True
        return {**answer, "access_token": access, "refresh_token": refresh, "expires_in": self.expires_in}

    def valid(self, token: str | None) -> bool:
        with self.lock:
            return token == ZALO_TOKEN or bool(token and self.access.get(token))

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.access = dict.fromkeys(self.access, False)

    def spend_refresh_tokens(self) -> None:
        """As if another copy of the app (or a leaked token) had used them."""
        with self.lock:
            self.refresh = dict.fromkeys(self.refresh, False)

    def permission(self, query: dict[str, str]) -> tuple[int, dict[str, str]]:
        """The consent page, answered as if the OA admin pressed "Cho phép" at once."""
        if query.get("app_id") != ZALO_APP_ID or not query.get("code_challenge") or not query.get("redirect_uri"):
            return 400, {}
        code = f"zcode-{secrets.token_urlsafe(16)}"
        with self.lock:
            self.codes[code] = query["code_challenge"]
        back = {"code": code, "oa_id": ZALO_OA_ID, "state": query.get("state", "")}
        return 302, {"Location": f"{query['redirect_uri']}?{urlencode(back)}"}

    def token(self, secret_key: str | None, form: dict[str, str]) -> dict[str, Any]:
        grant = form.get("grant_type")
        if secret_key != ZALO_APP_SECRET or form.get("app_id") != ZALO_APP_ID:
            with self.lock:
                self.bad_secret_calls += 1
            return {"error": -14002, "error_name": "Invalid parameter", "error_reason": "Invalid app_id or secret_key"}
        if grant == "authorization_code":
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            with self.lock:
                self.code_calls += 1
                if self.codes.pop(form.get("code", ""), None) != challenge:
                    return zalo_api_fixture("oauth_error_invalid_grant.shape.json")
                return self._issue()
        if grant == "refresh_token":
            with self.lock:
                self.refresh_calls += 1
            time.sleep(self.refresh_delay)
            with self.lock:
                if not self.refresh.get(form.get("refresh_token", "")):
                    return zalo_api_fixture("oauth_error_refresh_token_spent.shape.json")
                self.refresh[form["refresh_token"]] = False
                return self._issue()
        return zalo_api_fixture("oauth_error_invalid_grant.shape.json")


ZALO_OAUTH = FakeZaloOAuth()


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

    def _zalo_expired(self) -> None:
        return self._send(ZALO_OAUTH.expired_status, zalo_api_fixture("error_access_token_invalid.shape.json"))

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        if urlsplit(self.path).path == "/v4/oa/access_token":
            form = {k: v[0] for k, v in parse_qs(body).items()}
            return self._send(200, ZALO_OAUTH.token(self.headers.get("secret_key"), form))
        return self._send(404, {"error": "not found"})

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/v4/oa/permission":
            status, headers = ZALO_OAUTH.permission(query)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if url.path == "/v2.0/oa/getoa":
            if not ZALO_OAUTH.valid(self.headers.get("access_token")):
                return self._zalo_expired()
            return self._send(200, zalo_api_fixture("oa_getoa.shape.json"))
        if url.path == "/v3.0/oa/user/detail":
            if not ZALO_OAUTH.valid(self.headers.get("access_token")):
                return self._zalo_expired()
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
        "CRM_ZALO_API_BASE": providers_url, "CRM_ZALO_OAUTH_BASE": providers_url,
        "CRM_ZALO_APP_SECRET": ZALO_APP_SECRET, "CRM_FB_APP_SECRET": FB_SECRET, "CRM_FB_VERIFY_TOKEN": FB_VERIFY,
        "CRM_FB_PAGE_TOKEN": FB_PAGE_TOKEN, "CRM_FB_GRAPH_BASE": providers_url,
        "CRM_CHATBOT_SECRET_HANA": HANA_SECRET, "CRM_CHATBOT_SECRET_BOTBANHANG": BBH_SECRET,
        "CRM_WEBHOOK_BODY_LIMIT": "65536",
    }
