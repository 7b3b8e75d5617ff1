"""The models and the migrations describe one schema, and the code has no import cycle."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import crm_app.models  # noqa: F401  (registers the tables)
from crm_app.migrations import compare
from crm_app.models import SQLITE_DASHBOARD_INDEXES

ROOT = Path(__file__).resolve().parents[2]


def proposed(engine: Engine) -> list[Any]:
    """What `alembic revision --autogenerate` would write for this database (env.py's options)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={**compare.options(conn),
                                                         "target_metadata": SQLModel.metadata})
        return compare_metadata(context, SQLModel.metadata)


def test_autogenerate_against_a_migrated_database_proposes_nothing(engine: Engine) -> None:
    assert proposed(engine) == []


def test_autogenerate_sees_an_index_the_database_lacks(engine: Engine) -> None:
    """The comparison is not blind to the declared indexes: drop one (PostgreSQL: the GIN
    trigram index; SQLite: a list index) and autogenerate proposes it again."""
    name = "ix_raw_leads_search_trgm" if engine.dialect.name == "postgresql" else "ix_raw_leads_company_id"
    with engine.begin() as conn:
        conn.execute(text(f"DROP INDEX {name}"))
    [(op, index)] = proposed(engine)
    assert (op, index.name) == ("add_index", name)


def test_sqlite_dashboard_indexes_are_the_migrated_ones(sqlite_engine: Engine) -> None:
    """SQLite's expression indexes cannot be reflected: compare their DDL text instead."""
    with sqlite_engine.connect() as conn:
        stored = set(conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'index' "
                                       "AND name LIKE 'ix_raw_leads_dashboard%'")).scalars())
    assert stored == set(SQLITE_DASHBOARD_INDEXES)


def _imports(path: Path, module: str) -> set[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            # `from package import name` imports the module package.name when there is one.
            found |= {base, *(f"{base}.{alias.name}" for alias in node.names)}
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of `graph` (depth-first search), [] when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_crm_app_has_no_import_cycle() -> None:
    """Read with ast, type-checking imports included: a cycle hidden behind TYPE_CHECKING is still
    two modules that cannot be understood one without the other."""
    modules: dict[str, Path] = {}
    for path in (ROOT / "crm_app").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {name: {m for m in _imports(path, name) if m in modules and m != name}
             for name, path in modules.items()}
    assert _cycle(graph) == []
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]  # the search finds one


def test_form_keys_move_out_of_event_keys_and_back(engine: Engine) -> None:
    """Migration 0005 on rows stored before it: "<form>:<key>" becomes form_key + event_key; the
    downgrade puts them back together."""
    from alembic import command

    from crm_app.services import migrations

    config = migrations.alembic_config(engine.url.render_as_string(hide_password=False))
    command.downgrade(config, "0003")
    old = [("form", "landing1:3f2a"), ("form", "zaloads:idem:7"), ("zalo", "msg:1"), ("hana", "hana:x:y")]
    with engine.begin() as conn:
        for channel, key in old:
            conn.execute(text("INSERT INTO channel_events (channel, event_key, body, headers, status, attempts, "
                              "received_at) VALUES (:c, :k, :b, '{}', 'processed', 1, CURRENT_TIMESTAMP)"),
                         {"c": channel, "k": key, "b": b"{}"})
    command.upgrade(config, "head")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT channel, form_key, event_key FROM channel_events ORDER BY id"))
        assert [tuple(r) for r in rows] == [("form", "landing1", "3f2a"), ("form", "zaloads", "idem:7"),
                                            ("zalo", "", "msg:1"), ("hana", "", "hana:x:y")]
    command.downgrade(config, "0003")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT channel, event_key FROM channel_events ORDER BY id"))
        assert [tuple(r) for r in rows] == old
    command.upgrade(config, "head")
