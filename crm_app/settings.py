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
    zalo_oa_access_token: str = field(default_factory=lambda: _env("CRM_ZALO_OA_ACCESS_TOKEN"))
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

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

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
