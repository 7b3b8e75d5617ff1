"""The one handler shape of the State layer: the caller is loaded (or sent to log in), services run
off the event loop, a service's refusal is a translated toast, and an error nobody expected is a
translated message, never Python's text."""

from __future__ import annotations

import contextlib
import inspect
import threading
from typing import Any, get_type_hints

import reflex as rx
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from crm_app.db import write_session
from crm_app.i18n import MESSAGES
from crm_app.services.demo import ensure_demo_users, seed_demo
from crm_app.state.auth import AuthState, unexpected_error
from crm_app.state.raw_leads import RawLeadListState
from crm_app.state.settings import SettingsState
from tests.statekit import call, run_handler, state_as, token_for, using_engine
from tests.unit.test_handler_access import argument_sets, handlers


def _toast_text(spec: Any) -> str:
    return str(spec)


def test_an_unexpected_error_is_a_translated_message_and_the_app_uses_it() -> None:
    import crm_app.crm_app as app_module

    assert app_module.app.backend_exception_handler is unexpected_error
    database = unexpected_error(OperationalError("SELECT 1", {}, Exception("connection refused")))
    assert MESSAGES["vi"]["error.database"] in _toast_text(database)
    other = unexpected_error(KeyError("secret_internal_name"))
    assert MESSAGES["vi"]["error.unexpected"] in _toast_text(other)
    assert "secret_internal_name" not in _toast_text(other) and "KeyError" not in _toast_text(other)


def test_an_anonymous_caller_is_sent_to_log_in_and_the_body_never_runs(sqlite_engine) -> None:
    with using_engine(sqlite_engine):
        state = state_as(RawLeadListState, "")
        reply = call(state, "set_search", "x")
    assert isinstance(reply, rx.event.EventSpec) and "/login" in str(reply)
    assert state.search == ""


def test_a_service_refusal_is_a_toast_in_the_callers_language(sqlite_engine) -> None:
    with write_session(sqlite_engine) as s:
        ensure_demo_users(session=s)
    with using_engine(sqlite_engine):
        state = state_as(SettingsState, token_for(sqlite_engine, "thuhuong"))
        state.locale = "en"
        reply = call(state, "save_visibility", "own")
    assert MESSAGES["en"]["auth.denied"] in str(reply)


def test_the_actors_handler_arguments_are_the_browsers_only() -> None:
    """Reflex binds the browser's arguments by the handler's signature: the actor is not one."""
    fn = RawLeadListState.event_handlers["bulk_assign"].fn
    assert list(inspect.signature(fn).parameters) == ["self", "username"]
    assert "actor" not in get_type_hints(fn)
    assert inspect.iscoroutinefunction(fn)


def test_no_handler_queries_the_database_on_the_event_loop(sqlite_engine) -> None:
    """Every (non-background) handler, called as an admin: each SQL statement runs in a worker thread.
    One event loop serves every browser, so a query there would freeze them all."""
    with write_session(sqlite_engine) as s:
        seed_demo(session=s, raw_leads=5)
    token = token_for(sqlite_engine, "admin")
    on_loop: list[str] = []
    current = {"name": ""}
    loop_thread = threading.main_thread()  # statekit runs each handler's coroutine with asyncio.run here

    def record(*_: Any) -> None:
        if threading.current_thread() is loop_thread:
            on_loop.append(current["name"])

    event.listen(sqlite_engine, "before_cursor_execute", record)
    ran = 0
    try:
        with using_engine(sqlite_engine):
            for cls, name in handlers():
                if cls is AuthState:
                    continue
                state = state_as(cls, token)
                fn = cls.event_handlers[name].fn
                hints = get_type_hints(fn)
                params = [p for p in inspect.signature(fn).parameters.values() if p.name != "self"]
                current["name"] = f"{cls.__name__}.{name}"
                # A refused argument is fine; a query on the loop is not.
                with contextlib.suppress(Exception):
                    run_handler(fn, state, *argument_sets([hints.get(p.name, str) for p in params])[0])
                ran += 1
    finally:
        event.remove(sqlite_engine, "before_cursor_execute", record)
    assert ran > 40
    assert sorted(set(on_loop)) == []
