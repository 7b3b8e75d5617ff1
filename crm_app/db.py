"""Engine and sessions shared by services, the CLI and the API.

SQLite runs in WAL mode with a busy timeout; write transactions begin with
BEGIN IMMEDIATE (DESIGN §6: a deferred read-then-write transaction fails with
"database is locked" under concurrency). PostgreSQL uses SELECT ... FOR UPDATE
where a row must be serialised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from crm_app.settings import get_settings

_SQLITE_BEGIN_OPTION = "sqlite_begin"
T = TypeVar("T")


def normalise_url(url: str) -> str:
    """Accept the usual spellings of a PostgreSQL URL."""
    if url.startswith("postgres://"):
        return "postgresql+psycopg2://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        return "postgresql+psycopg2://" + url[len("postgresql://") :]
    return url


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # Let SQLAlchemy, not pysqlite, emit BEGIN so we can choose IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        mode = conn.get_execution_options().get(_SQLITE_BEGIN_OPTION, "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    url = normalise_url(url or get_settings().database_url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_pre_ping=True
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


_READ_ONLY = "crm_read_only"


@contextmanager
def read_session(engine: Engine | None = None) -> Iterator[Session]:
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        session.info[_READ_ONLY] = True
        yield session


def once_per_read(session: Session, key: str, load: Callable[[], T]) -> T:
    """`load()` once per read session (the settings a request consults several times); a write
    session loads every time, so it sees its own changes."""
    if not session.info.get(_READ_ONLY):
        return load()
    memo: dict[str, Any] = session.info.setdefault("crm_memo", {})
    if key not in memo:
        memo[key] = load()
    return cast(T, memo[key])


@contextmanager
def write_session(engine: Engine | None = None) -> Iterator[Session]:
    """A session whose transaction takes the write lock up front (SQLite) and commits on exit."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        session.connection(execution_options={_SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"
