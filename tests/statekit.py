"""Call Reflex State event handlers without a browser, as a given logged-in user.

Any client can call any handler by name; these tests call them the same way, with the
arguments an attacker would choose, and then look at the database.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import reflex as rx
from sqlalchemy.engine import Engine

from crm_app import db
from crm_app.db import write_session
from crm_app.models import User
from crm_app.services import auth

S = TypeVar("S", bound=rx.State)
T = TypeVar("T")


@contextmanager
def using_engine(engine: Engine) -> Iterator[None]:
    """Point the app's default engine at the test database."""
    original = db.get_engine
    db.get_engine = lambda url=None: engine if url is None else original(url)  # type: ignore[assignment]
    try:
        yield
    finally:
        db.get_engine = original  # type: ignore[assignment]


def token_for(engine: Engine, username: str) -> str:
    from sqlmodel import select

    with write_session(engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        return auth.open_session(session=session, user=user, days=1)


def state_as(state_cls: type[S], token: str) -> S:
    root = rx.State(_reflex_internal_init=True)  # type: ignore[call-arg]
    path = state_cls.get_full_name().split(".")[1:]
    state = root.get_substate(path)
    state.session_token = token  # type: ignore[attr-defined]
    return state  # type: ignore[return-value]


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: the browser suite's Playwright (sync API) keeps an event
    loop running in the main thread for the rest of the session, where asyncio.run refuses to start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def run_handler(fn: Any, state: rx.State, *args: Any) -> Any:
    """Run a handler function to the end, as Reflex does: awaited if async, drained if a generator."""
    result = fn(state, *args)
    if inspect.iscoroutine(result):
        result = run_async(result)
    if inspect.isasyncgen(result):
        async def drain(gen: Any) -> list[Any]:
            return [item async for item in gen]
        return run_async(drain(result))
    if inspect.isgenerator(result):
        return list(result)
    return result


def call(state: rx.State, handler: str, *args: Any) -> Any:
    """Invoke an event handler the way Reflex does: the registered function on the state."""
    return run_handler(getattr(type(state), handler).fn, state, *args)
