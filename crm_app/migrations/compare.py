"""What Alembic autogenerate compares against a database: every model of SQLModel.metadata, less
what it cannot model. env.py and the test that a migrated database matches the models share it.

Left out:
- SQLite's full-text search: an FTS5 virtual table and the shadow tables SQLite keeps for it
  (`<name>_data`, `_idx`, ...), filled by triggers, which autogenerate never reflects;
- an index declared for the other database (`models.only_on`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection


def _virtual_tables(connection: Connection) -> set[str]:
    if connection.dialect.name != "sqlite":
        return set()
    rows = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'table' "
                                   "AND sql LIKE 'CREATE VIRTUAL TABLE%'"))
    return set(rows.scalars())


def include_object_for(connection: Connection) -> Callable[[Any, str | None, str, bool, Any], bool]:
    """Alembic's `include_object` hook for the database behind `connection`."""
    dialect = connection.dialect.name
    # Read on the first comparison only: a query here, before `crm db upgrade` begins its
    # transaction, would leave Alembic inside one it never commits.
    virtual: list[set[str]] = []

    def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table" and reflected and compare_to is None and name is not None:
            if not virtual:
                virtual.append(_virtual_tables(connection))
            return not any(name == v or name.startswith(f"{v}_") for v in virtual[0])
        if type_ == "index" and not reflected:
            return obj.info.get("dialect", dialect) == dialect
        return True

    return include_object


def options(connection: Connection) -> dict[str, Any]:
    """The comparison settings for `context.configure` / `MigrationContext.configure`."""
    return {"compare_type": True, "include_object": include_object_for(connection),
            "render_as_batch": connection.dialect.name == "sqlite"}
