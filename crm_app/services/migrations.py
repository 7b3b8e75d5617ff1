"""Apply the reviewed Alembic migrations (a deploy step: `crm db upgrade`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from crm_app.db import get_engine, normalise_url, write_session
from crm_app.services.reference_data import ensure_reference_data
from crm_app.settings import get_settings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url or get_settings().database_url))
    return cfg


def upgrade(url: str | None = None) -> None:
    command.upgrade(alembic_config(url), "head")
    with write_session(get_engine(url)) as session:
        ensure_reference_data(session=session)


def make_revision(message: str, url: str | None = None) -> None:
    """Developers only: autogenerate a migration to review before committing."""
    command.revision(alembic_config(url), message=message, autogenerate=True)
