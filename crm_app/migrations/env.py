"""Alembic environment: the URL comes from the `crm` CLI (DATABASE_URL), never from a file."""

from alembic import context
from sqlmodel import SQLModel

import crm_app.models  # noqa: F401  (registers the tables)
from crm_app.db import get_engine
from crm_app.migrations import compare

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = get_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, **compare.options(connection))
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
