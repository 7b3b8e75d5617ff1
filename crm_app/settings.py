"""Typed settings read from the environment, in one place (DESIGN §5).

Every value is checked when the settings are first read (at start-up): a bad value stops the app
with the variable's name and what was expected, instead of failing later inside a request.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_database_url() -> str:
    return f"sqlite:///{PROJECT_ROOT / 'data' / 'crm.db'}"


def _env(name: str, default: Any, **constraints: Any) -> Any:
    """A field read from the environment variable `name` (by that name, or by the field's own name
    when a test builds Settings(...) directly)."""
    return Field(default, validation_alias=AliasChoices(name), **constraints)


class SettingsError(RuntimeError):
    """Raised at start-up: one line per bad variable, with its name and what it should be."""


class Settings(BaseSettings):
    # Values are stripped, and an empty variable counts as unset (its default applies), as before.
    model_config = SettingsConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True,
                                      env_ignore_empty=True, populate_by_name=True)

    database_url: str = Field(default_factory=_default_database_url, validation_alias=AliasChoices("DATABASE_URL"))
    redis_url: str = _env("REDIS_URL", "")
    port: int = _env("PORT", 3000, gt=0, lt=65536)
    public_origin: str = _env("CRM_PUBLIC_ORIGIN", "")
    data_dir: Path = _env("CRM_DATA_DIR", PROJECT_ROOT / "data")
    api_token: str = _env("CRM_API_TOKEN", "")
    # Encrypts provider tokens stored in the database (services/secret_box.py); when unset, a key
    # file is made in the data directory (`secret.key`, readable by the app's user only).
    secret_key: str = _env("CRM_SECRET_KEY", "")
    session_days: int = _env("CRM_SESSION_DAYS", 14, gt=0)
    upload_limit_mb: int = _env("CRM_UPLOAD_LIMIT_MB", 50, gt=0)
    import_row_limit: int = _env("CRM_IMPORT_ROW_LIMIT", 200_000, gt=0)
    # Rows per committed import batch: bigger batches write faster (fewer commits, search-index
    # segments and WAL checkpoints) but hold SQLite's write lock longer (5,000: about 0.3 s).
    import_batch_size: int = _env("CRM_IMPORT_BATCH_SIZE", 5000, gt=0)
    # Seconds to wait after each committed batch: lets tests interrupt an import mid-way.
    import_batch_pause: float = _env("CRM_IMPORT_BATCH_PAUSE", 0.0, ge=0)
    zalo_app_id: str = _env("CRM_ZALO_APP_ID", "")
    zalo_oa_secret: str = _env("CRM_ZALO_OA_SECRET", "")
    # A bootstrap token only: once an admin connects the OA (Cấu hình → Zalo OA), the tokens live in
    # the database and refresh themselves (services/zalo_oa.py); this one is used while none is stored.
    zalo_oa_access_token: str = _env("CRM_ZALO_OA_ACCESS_TOKEN", "")
    # The Zalo app's secret key (sent as the `secret_key` header of the OAuth token calls); not the OA
    # secret that signs webhooks.
    zalo_app_secret: str = _env("CRM_ZALO_APP_SECRET", "")
    zalo_oauth_base: str = _env("CRM_ZALO_OAUTH_BASE", "https://oauth.zaloapp.com")
    zalo_api_base: str = _env("CRM_ZALO_API_BASE", "https://openapi.zalo.me")
    fb_app_secret: str = _env("CRM_FB_APP_SECRET", "")
    fb_verify_token: str = _env("CRM_FB_VERIFY_TOKEN", "")
    fb_page_providers: str = _env("CRM_FB_PAGE_PROVIDERS", "")
    fb_page_token: str = _env("CRM_FB_PAGE_TOKEN", "")
    fb_graph_base: str = _env("CRM_FB_GRAPH_BASE", "https://graph.facebook.com")
    google_maps_key: str = _env("CRM_GOOGLE_MAPS_KEY", "")
    google_places_base: str = _env("CRM_GOOGLE_PLACES_BASE", "https://maps.googleapis.com")
    photon_url: str = _env("CRM_PHOTON_URL", "")
    chatbot_secret_hana: str = _env("CRM_CHATBOT_SECRET_HANA", "")
    chatbot_secret_botbanhang: str = _env("CRM_CHATBOT_SECRET_BOTBANHANG", "")
    # Webhooks: requests per second per sender (sustained) and the burst allowed above it.
    webhook_rate: float = _env("CRM_WEBHOOK_RATE", 100.0, gt=0)
    webhook_burst: float = _env("CRM_WEBHOOK_BURST", 300.0, gt=0)
    # REST API: requests per second per token (sustained) and the burst allowed above it.
    api_rate: float = _env("CRM_API_RATE", 50.0, gt=0)
    api_burst: float = _env("CRM_API_BURST", 200.0, gt=0)
    # Largest webhook body accepted (bytes): provider events are a few KB, anything bigger is abuse.
    webhook_body_limit: int = _env("CRM_WEBHOOK_BODY_LIMIT", 1024 * 1024, gt=0)
    # Background work (services/tasks.py). The queue: Redis when REDIS_URL is set (scale-out),
    # else a SQLite file in the data directory; CRM_QUEUE_URL chooses explicitly.
    queue_url_override: str = _env("CRM_QUEUE_URL", "")
    # Consumer threads per `crm worker` process: events wait mostly on the database and providers.
    worker_threads: int = _env("CRM_WORKER_THREADS", 4, gt=0)
    # auto: the app starts a consumer itself when the queue is the embedded SQLite one (`make run`);
    # with Redis, consumers are separate `crm worker` processes (`make run-scaled`).
    embedded_worker: Literal["auto", "0", "1"] = _env("CRM_EMBEDDED_WORKER", "auto")
    # An unfinished event untouched this long is re-enqueued by the sweep (its message was lost).
    queue_stale_seconds: float = _env("CRM_QUEUE_STALE_SECONDS", 60.0, gt=0)
    queue_sweep_seconds: float = _env("CRM_QUEUE_SWEEP_SECONDS", 15.0, gt=0)
    # First retry of a failed event after this many seconds, then 3x longer each time.
    event_retry_delay: float = _env("CRM_EVENT_RETRY_DELAY", 5.0, ge=0)
    # A running import whose heartbeat is older than this is resumed by another consumer.
    import_stale_seconds: float = _env("CRM_IMPORT_STALE_SECONDS", 60.0, gt=0)
    # GET /metrics without the API token (behind a private network or a proxy that guards it).
    metrics_public: bool = _env("CRM_METRICS_PUBLIC", False)

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


def describe(error: ValidationError) -> str:
    """One readable line per bad variable: its name, the value given and what was expected."""
    lines = []
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"])
        lines.append(f"{name}={item.get('input')!r}: {item['msg']}")
    return "Invalid environment setting(s):\n  " + "\n  ".join(lines)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(describe(exc)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
