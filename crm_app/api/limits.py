"""Reflex's upload endpoint has no server-side size limit (DESIGN §6): refuse a body that
announces more than the configured limit before any of it is read. Streaming handlers also
count the bytes they receive, for senders that announce no length."""

from starlette.types import ASGIApp, Receive, Scope, Send

from crm_app.settings import get_settings

_SLACK = 64 * 1024  # multipart boundaries and headers


def limit_upload_size(app: ASGIApp) -> ASGIApp:
    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].rstrip("/").endswith("/_upload"):
            limit = get_settings().upload_limit_mb * 1024 * 1024 + _SLACK
            length = dict(scope["headers"]).get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > limit):
                body = "Tệp vượt quá giới hạn dung lượng cho phép.".encode()
                await send({"type": "http.response.start", "status": 413,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await app(scope, receive, send)

    return guarded
