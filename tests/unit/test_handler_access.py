"""Every State event handler, called directly (as any client can) by an anonymous visitor or a
user who owns nothing, changes nothing. The handlers are enumerated, so a new handler that
forgets its check fails this test."""

from __future__ import annotations

import inspect
from typing import Any, get_type_hints

import pytest
import reflex as rx
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text

import crm_app.crm_app  # noqa: F401  (registers every page and state)
from crm_app.db import write_session
from crm_app.services import org
from crm_app.services.auth import Actor
from crm_app.services.demo import seed_demo
from crm_app.state.auth import AuthState
from tests.statekit import run_handler, state_as, token_for, using_engine

# A user may keep artefacts of their own (a saved mapping, a personal filter, their columns):
# counted apart, and checked to belong to the caller, never shared.
OWN_ARTEFACTS = ("saved_mappings", "saved_filters", "list_layouts")
# Handlers that only change the caller's own view (UI state), never shared data.
VIEW_ONLY = {"toggle_locale", "login", "logout", "redirect_if_logged_in", "require_login", "require_admin"}


def app_states() -> list[type[rx.State]]:
    found, todo = [], [AuthState]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


FORM = {"username": "x1", "full_name": "X", "password": "password1", "role": "admin", "name": "x", "value": "x",
        "key": "x_field", "label_vi": "X", "type": "text", "first_name": "Sửa", "assigned_to": "thuhuong",
        "shared": "on"}
# Plausible values, so that a handler is not refused merely for a malformed argument.
CANDIDATES: dict[Any, list[Any]] = {
    str: ["1", "own", "all", "thuhuong", "Không tiềm năng", "lead_source", "Website", "overwrite", "raw_lead",
          "email", "round_robin", "zalo_oa"],
    int: [1, -1],
    bool: [True, False],
    dict: [FORM],
    list: [["1"]],
}


def argument_sets(annotations: list[Any]) -> list[list[Any]]:
    sets: list[list[Any]] = [[]]
    for annotation in annotations:
        options = CANDIDATES.get(getattr(annotation, "__origin__", annotation), ["1"])
        sets = [[*prefix, option] for prefix in sets for option in options][:150]
    return sets


def fingerprint(engine) -> dict[str, Any]:
    with engine.connect() as conn:
        tables = [t for t in sa_inspect(engine).get_table_names()
                  if t not in ("auth_sessions", "alembic_version", *OWN_ARTEFACTS)]
        counts = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() for t in tables}  # noqa: S608
        for t in OWN_ARTEFACTS:
            counts[f"{t}_shared"] = conn.execute(text(f'SELECT count(*) FROM "{t}" WHERE owner_id IS NULL')).scalar()  # noqa: S608
            counts[f"{t}_others"] = conn.execute(text(  # noqa: S608
                f"SELECT count(*) FROM \"{t}\" WHERE owner_id IS NOT NULL AND owner_id NOT IN "
                "(SELECT id FROM users WHERE username = 'thuhuong')")).scalar()
        counts["sync"] = conn.execute(text("SELECT settings FROM sync_config")).scalar()
        counts["visibility"] = conn.execute(text("SELECT value FROM org_settings")).scalar()
        counts["raw_leads"] = conn.execute(text(
            "SELECT group_concat(id || status || assigned_to_id || first_name) FROM raw_leads")).scalar()
        counts["picklists"] = conn.execute(text(
            "SELECT group_concat(value || is_active || position) FROM picklist_values")).scalar()
    return counts


def handlers() -> list[tuple[type[rx.State], str]]:
    out = []
    for cls in app_states():
        for name, handler in cls.event_handlers.items():
            if name.startswith("_") or name in VIEW_ONLY or name.startswith("set_") and name == "setvar":
                continue
            if handler.is_background or name == "setvar":
                continue
            out.append((cls, name))
    return out


def test_every_handler_is_enumerated() -> None:
    names = {name for _, name in handlers()}
    assert {"save_visibility", "bulk_delete", "delete", "save", "add_custom_field", "convert"} <= names
    assert len(names) > 40


@pytest.mark.parametrize("who", ["anonymous", "thuhuong"])
def test_no_handler_changes_shared_data_for_an_unprivileged_caller(sqlite_engine, who: str) -> None:
    with write_session(sqlite_engine) as s:
        seed_demo(session=s, raw_leads=20)
        admin_id = s.execute(text("SELECT id FROM users WHERE username = 'admin'")).scalar()
        org.set_visibility(session=s, actor=Actor(admin_id, "admin", "A", "admin"), value="own")
        # Every demo record belongs to someone else than thuhuong.
        s.execute(text("UPDATE raw_leads SET assigned_to_id = :a"), {"a": admin_id})
    before = fingerprint(sqlite_engine)
    with using_engine(sqlite_engine):
        token = "" if who == "anonymous" else token_for(sqlite_engine, "thuhuong")
        for cls, name in handlers():
            state = state_as(cls, token)
            for var in ("record_id", "lead_id", "job_id"):
                if var in cls.vars:
                    setattr(state, var, 1)
            if "selected" in cls.vars:
                state.selected = [str(i) for i in range(1, 21)]  # type: ignore[attr-defined]
            fn = cls.event_handlers[name].fn
            hints = get_type_hints(fn)
            params = [p for p in inspect.signature(fn).parameters.values() if p.name != "self"]
            for args in argument_sets([hints.get(p.name, str) for p in params]):
                try:
                    run_handler(fn, state, *args)
                except Exception as exc:  # noqa: BLE001  (a crash is fine; a change is not)
                    assert not isinstance(exc, AssertionError), f"{cls.__name__}.{name}: {exc}"
    assert fingerprint(sqlite_engine) == before
