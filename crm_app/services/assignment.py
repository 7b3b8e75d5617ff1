"""Who gets a customer arriving from a channel (sync config, tab "Phân bổ").

The round-robin cursor lives in the database (DESIGN §2: correct across workers). Callers run
inside `db.write_session`, so on SQLite the transaction already holds the write lock (BEGIN
IMMEDIATE); on PostgreSQL the cursor row is locked with SELECT ... FOR UPDATE.
"""

from __future__ import annotations

from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from crm_app.i18n import UserError
from crm_app.models import AssignmentCursor, RawLead, User
from crm_app.services import audit, statuses
from crm_app.services.sync_settings import METHOD_LEAST_OPEN, SyncSettings

CURSOR_NAME = "sync_assignment"


def _active(session: Session, users: list[int]) -> set[int]:
    if not users:
        return set()
    query = select(User.id).where(col(User.id).in_(users), User.is_active == True)  # noqa: E712
    return {uid for uid in session.exec(query) if uid is not None}


def _locked_position(session: Session, name: str) -> int:
    """The cursor's position, with its row locked until the transaction ends."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # Create the row first so that concurrent first arrivals all lock the same row.
    session.exec(insert(AssignmentCursor).values(name=name, position=0)
                 .on_conflict_do_nothing(index_elements=["name"]))
    # FOR UPDATE is omitted by SQLAlchemy on SQLite, where BEGIN IMMEDIATE already serialises.
    query = select(AssignmentCursor.position).where(AssignmentCursor.name == name).with_for_update()
    return int(session.exec(query).one())


def round_robin_next(session: Session, users: list[int], *, name: str = CURSOR_NAME) -> int:
    """The next active user of `users` in turn (user 1, user 2, user 3, user 1, ...)."""
    return _round_robin(session, users, name)[0]


def _round_robin(session: Session, users: list[int], name: str) -> tuple[int, int]:
    """(user, cursor position taken). The cursor indexes the configured list, so deactivating one
    user does not reshuffle the turns of the others; inactive users are passed over."""
    active = _active(session, users)
    if not active:
        raise UserError("sync.no_assignee")
    position = _locked_position(session, name)
    for step in range(len(users)):
        index = (position + step) % len(users)
        if users[index] in active:
            session.exec(update(AssignmentCursor)
                         .where(col(AssignmentCursor.name) == name)
                         .values(position=position + step + 1))
            return users[index], position + step
    raise AssertionError("unreachable: an active user is in the list")


def least_open_next(session: Session, users: list[int]) -> int:
    """The active user with the fewest open raw leads (statuses.open_clause: the dashboard's
    workload figure); ties go to the user listed first."""
    active = _active(session, users)
    if not active:
        raise UserError("sync.no_assignee")
    rows = session.exec(
        select(RawLead.assigned_to_id, func.count())
        .where(col(RawLead.assigned_to_id).in_(active),
               statuses.open_clause(session))
        .group_by(col(RawLead.assigned_to_id))).all()
    open_counts = dict(rows)
    return min((uid for uid in users if uid in active), key=lambda uid: open_counts.get(uid, 0))


def first_active_admin(session: Session) -> int:
    uid = session.exec(select(User.id).where(User.role == "admin", User.is_active == True)  # noqa: E712
                       .order_by(col(User.id))).first()
    if uid is None:
        raise UserError("sync.no_assignee")
    return uid


def assign_incoming(session: Session, settings: SyncSettings, *, source: str = "channel") -> int:
    """Pick the assignee for an incoming customer by the configured method and log it.

    An empty list (or one whose users are all inactive) falls back to the first active admin,
    so a channel's customer is never dropped for want of an owner."""
    users = list(settings.assignment_users)
    changes: dict[str, object] = {"method": settings.assignment_method}
    if not _active(session, users):
        changes["method"], user_id = "admin_fallback", first_active_admin(session)
    elif settings.assignment_method == METHOD_LEAST_OPEN:
        user_id = least_open_next(session, users)
    else:
        user_id, changes["position"] = _round_robin(session, users, CURSOR_NAME)
    audit.record(session=session, entity="user", entity_id=user_id, action="assigned", user_id=None,
                 source=source, changes=changes)
    return user_id
