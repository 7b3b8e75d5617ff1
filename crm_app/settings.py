"""Typed settings read from the environment, in one place (DESIGN §5)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _default_database_url() -> str:
    return f"sqlite:///{PROJECT_ROOT / 'data' / 'crm.db'}"


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=lambda: _env("DATABASE_URL") or _default_database_url())
    redis_url: str = field(default_factory=lambda: _env("REDIS_URL"))
    port: int = field(default_factory=lambda: int(_env("PORT", "3000")))
    public_origin: str = field(default_factory=lambda: _env("CRM_PUBLIC_ORIGIN"))
    data_dir: Path = field(
        default_factory=lambda: Path(_env("CRM_DATA_DIR") or PROJECT_ROOT / "data")
    )
    api_token: str = field(default_factory=lambda: _env("CRM_API_TOKEN"))
    # Encrypts provider tokens stored in the database (services/secret_box.py); when unset, a key
    # file is made in the data directory (`secret.key`, readable by the app's user only).
    secret_key: str = field(default_factory=lambda: _env("CRM_SECRET_KEY"))
    session_days: int = field(default_factory=lambda: int(_env("CRM_SESSION_DAYS", "14")))
    upload_limit_mb: int = field(default_factory=lambda: int(_env("CRM_UPLOAD_LIMIT_MB", "50")))
    import_row_limit: int = field(
        default_factory=lambda: int(_env("CRM_IMPORT_ROW_LIMIT", "200000"))
    )
    # Rows per committed import batch: bigger batches write faster (fewer commits, search-index
    # segments and WAL checkpoints) but hold SQLite's write lock longer (5,000: about 0.3 s).
    import_batch_size: int = field(default_factory=lambda: int(_env("CRM_IMPORT_BATCH_SIZE", "5000")))
    # Seconds to wait after each committed batch: lets tests interrupt an import mid-way.
    import_batch_pause: float = field(default_factory=lambda: float(_env("CRM_IMPORT_BATCH_PAUSE", "0")))
    zalo_app_id: str = field(default_factory=lambda: _env("CRM_ZALO_APP_ID"))
    zalo_oa_secret: str = field(default_factory=lambda: _env("CRM_ZALO_OA_SECRET"))
    # A bootstrap token only: once an admin connects the OA (Cấu hình → Zalo OA), the tokens live in
    # the database and refresh themselves (services/zalo_oa.py); this one is used while none is stored.
    zalo_oa_access_token: str = field(default_factory=lambda: _env("CRM_ZALO_OA_ACCESS_TOKEN"))
    # The Zalo app's secret key (sent as the `secret_key` header of the OAuth token calls); not the OA
    # secret that signs webhooks.
    zalo_app_secret: str = field(default_factory=lambda: _env("CRM_ZALO_APP_SECRET"))
    zalo_oauth_base: str = field(
        default_factory=lambda: _env("CRM_ZALO_OAUTH_BASE", "https://oauth.zaloapp.com")
    )
    zalo_api_base: str = field(
        default_factory=lambda: _env("CRM_ZALO_API_BASE", "https://openapi.zalo.me")
    )
    fb_app_secret: str = field(default_factory=lambda: _env("CRM_FB_APP_SECRET"))
    fb_verify_token: str = field(default_factory=lambda: _env("CRM_FB_VERIFY_TOKEN"))
    fb_page_providers: str = field(default_factory=lambda: _env("CRM_FB_PAGE_PROVIDERS"))
    fb_page_token: str = field(default_factory=lambda: _env("CRM_FB_PAGE_TOKEN"))
    fb_graph_base: str = field(
        default_factory=lambda: _env("CRM_FB_GRAPH_BASE", "https://graph.facebook.com")
    )
    google_maps_key: str = field(default_factory=lambda: _env("CRM_GOOGLE_MAPS_KEY"))
    google_places_base: str = field(
        default_factory=lambda: _env("CRM_GOOGLE_PLACES_BASE", "https://maps.googleapis.com")
    )
    photon_url: str = field(default_factory=lambda: _env("CRM_PHOTON_URL"))
    chatbot_secret_hana: str = field(default_factory=lambda: _env("CRM_CHATBOT_SECRET_HANA"))
    chatbot_secret_botbanhang: str = field(
        default_factory=lambda: _env("CRM_CHATBOT_SECRET_BOTBANHANG")
    )
    # Largest webhook body accepted (bytes): provider events are a few KB, anything bigger is abuse.
    webhook_rate: float = field(default_factory=lambda: float(_env("CRM_WEBHOOK_RATE", "100")))
    webhook_burst: float = field(default_factory=lambda: float(_env("CRM_WEBHOOK_BURST", "300")))
    # REST API: requests per second per token (sustained) and the burst allowed above it.
    api_rate: float = field(default_factory=lambda: float(_env("CRM_API_RATE", "50")))
    api_burst: float = field(default_factory=lambda: float(_env("CRM_API_BURST", "200")))
    webhook_body_limit: int = field(
        default_factory=lambda: int(_env("CRM_WEBHOOK_BODY_LIMIT", str(1024 * 1024)))
    )
    # Background work (services/tasks.py). The queue: Redis when REDIS_URL is set (scale-out),
    # else a SQLite file in the data directory; CRM_QUEUE_URL chooses explicitly.
    queue_url_override: str = field(default_factory=lambda: _env("CRM_QUEUE_URL"))
    # Consumer threads per `crm worker` process: events wait mostly on the database and providers.
    worker_threads: int = field(default_factory=lambda: int(_env("CRM_WORKER_THREADS", "4")))
    # auto: the app starts a consumer itself when the queue is the embedded SQLite one (`make run`);
    # with Redis, consumers are separate `crm worker` processes (`make run-scaled`).
    embedded_worker: str = field(default_factory=lambda: _env("CRM_EMBEDDED_WORKER", "auto"))
    # An unfinished event untouched this long is re-enqueued by the sweep (its message was lost).
    queue_stale_seconds: float = field(default_factory=lambda: float(_env("CRM_QUEUE_STALE_SECONDS", "60")))
    queue_sweep_seconds: float = field(default_factory=lambda: float(_env("CRM_QUEUE_SWEEP_SECONDS", "15")))
    # First retry of a failed event after this many seconds, then 3x longer each time.
    event_retry_delay: float = field(default_factory=lambda: float(_env("CRM_EVENT_RETRY_DELAY", "5")))
    # A running import whose heartbeat is older than this is resumed by another consumer.
    import_stale_seconds: float = field(default_factory=lambda: float(_env("CRM_IMPORT_STALE_SECONDS", "60")))
    # GET /metrics without the API token (behind a private network or a proxy that guards it).
    metrics_public: bool = field(default_factory=lambda: _env("CRM_METRICS_PUBLIC") in ("1", "true", "yes"))

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def queue_url(self) -> str:
        return self.queue_url_override or self.redis_url or f"sqlite:///{self.data_dir / 'queue.db'}"

    @property
    def runs_embedded_worker(self) -> bool:
        if self.embedded_worker in ("0", "1"):
            return self.embedded_worker == "1"
        return self.queue_url.startswith("sqlite")

    @property
    def rate_limit_url(self) -> str:
        """One limit across workers: in Redis when there is one, else in this process's memory."""
        return self.redis_url or "memory://"

    @property
    def private_upload_dir(self) -> Path:
        """Imported files hold personal data: never under Reflex's public upload dir."""
        return self.data_dir / "private" / "imports"

    @property
    def allowed_origins(self) -> list[str]:
        if self.public_origin:
            return [o.strip() for o in self.public_origin.split(",") if o.strip()]
        return [f"http://localhost:{self.port}", f"http://127.0.0.1:{self.port}"]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
