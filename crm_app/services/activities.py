"""Care activities on raw leads and Leads: logged calls, notes and tasks, Việc của tôi, reminders.

Every activity is also written to the record's timeline (audit entries), so the timeline stays the
one history of a record and a merge moves it in one statement. The record's `last_contacted_at`
and `next_task_at` are kept here, in the same transaction, so the list sorts and filters on them
in SQL. Rights: whoever may edit the record (services/raw_leads/access.can_see: "users can edit what they
see") may log on it; a task's assignee may always complete it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from crm_app import routes
from crm_app.fields import STATUS_IN_CARE, STATUS_NEW, picklist_values
from crm_app.i18n import UserError, t
from crm_app.models import Activity, Lead, Notification, RawLead, User, utcnow
from crm_app.services import audit, clock
from crm_app.services.auth import Actor, PermissionDenied
from crm_app.services.field_values import parse_date
from crm_app.services.raw_leads import access, display

ENTITIES: dict[str, Any] = {"raw_lead": RawLead, "lead": Lead}
KINDS = ("call", "note", "task")
NOTE_MAX = 4000
TITLE_MAX = 255
REMIND_WINDOW = timedelta(minutes=15)


def record_link(entity: str, entity_id: int) -> str:
    return routes.raw_lead(entity_id) if entity == "raw_lead" else routes.lead(entity_id)


def get_editable(session: Session, actor: Actor, entity: str, entity_id: int) -> RawLead | Lead:
    """The record if the actor may edit it (the org's visibility rule); a merged record is read-only."""
    model = ENTITIES.get(entity)
    if model is None:
        raise UserError("care.not_found")
    record = session.get(model, entity_id)
    if record is None or not access.can_see(session, actor, record):
        raise UserError("raw_lead.not_found" if entity == "raw_lead" else "lead.not_found")
    if record.merged_into:
        raise UserError("care.merged")
    return record


def _clean_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise UserError("care.note_long", max=NOTE_MAX)
    return note


def _contacted(session: Session, actor: Actor, entity: str, record: RawLead | Lead, when: datetime) -> None:
    """A call or a note: the last contact moves, and a "Mới" raw lead is now being cared for."""
    assert record.id is not None
    if record.last_contacted_at is None or record.last_contacted_at < when:
        record.last_contacted_at = when
    if entity == "raw_lead" and record.status == STATUS_NEW:
        record.status = STATUS_IN_CARE
        record.modified_at, record.modified_by_id = when, actor.id
        audit.record(session=session, entity=entity, entity_id=record.id, action="updated", user_id=actor.id,
                     changes={"status": [STATUS_NEW, STATUS_IN_CARE]})
    session.add(record)


def log_call(session: Session, actor: Actor, entity: str, entity_id: int, *, outcome: str, note: str = ""
             ) -> Activity:
    record = get_editable(session, actor, entity, entity_id)
    outcome = (outcome or "").strip()
    if outcome not in picklist_values(session, "call_outcome"):
        raise UserError("care.outcome_required")
    activity = Activity(entity=entity, entity_id=entity_id, kind="call", outcome=outcome, note=_clean_note(note),
                        created_by_id=actor.id)
    session.add(activity)
    audit.record(session=session, entity=entity, entity_id=entity_id, action="call", user_id=actor.id,
                 changes={"outcome": outcome, "note": activity.note})
    _contacted(session, actor, entity, record, activity.created_at)
    session.flush()
    return activity


def add_note(session: Session, actor: Actor, entity: str, entity_id: int, *, note: str) -> Activity:
    record = get_editable(session, actor, entity, entity_id)
    text = _clean_note(note)
    if not text:
        raise UserError("care.note_required")
    activity = Activity(entity=entity, entity_id=entity_id, kind="note", note=text, created_by_id=actor.id)
    session.add(activity)
    audit.record(session=session, entity=entity, entity_id=entity_id, action="note", user_id=actor.id,
                 changes={"note": text})
    _contacted(session, actor, entity, record, activity.created_at)
    session.flush()
    return activity


def parse_due(day: str, hour_minute: str, tz: tzinfo) -> datetime:
    """A date (yyyy-mm-dd from the date input, or dd/mm/yyyy) and hh:mm in the org's zone → UTC."""
    parsed = parse_date(day.strip()) if day and day.strip() else None
    if parsed is None:
        raise UserError("care.due_required")
    try:
        hour, minute = (int(p) for p in (hour_minute.strip() or "09:00").split(":")[:2])
        at = time(hour, minute)
    except ValueError as exc:
        raise UserError("care.due_time_invalid") from exc
    return datetime.combine(parsed, at, tz).astimezone(UTC)


def add_task(session: Session, actor: Actor, entity: str, entity_id: int, *, title: str, due_at: datetime,
             assignee_id: int | None = None, note: str = "") -> Activity:
    record = get_editable(session, actor, entity, entity_id)
    title = (title or "").strip()
    if not title:
        raise UserError("care.title_required")
    if len(title) > TITLE_MAX:
        raise UserError("care.title_long", max=TITLE_MAX)
    assignee = assignee_id or record.assigned_to_id  # default: the record's owner
    user = session.get(User, assignee)
    if user is None or not user.is_active:
        raise UserError("validation.user", field=t("care.assignee"))
    activity = Activity(entity=entity, entity_id=entity_id, kind="task", title=title, note=_clean_note(note),
                        due_at=due_at.astimezone(UTC), assigned_to_id=assignee, created_by_id=actor.id)
    session.add(activity)
    audit.record(session=session, entity=entity, entity_id=entity_id, action="task", user_id=actor.id,
                 changes={"title": title, "due_at": activity.due_at.isoformat() if activity.due_at else None,
                          "assignee": user.full_name, "note": activity.note})
    session.flush()
    refresh_next_task(session, entity, entity_id)
    return activity


def _task_for(session: Session, actor: Actor, activity_id: int) -> Activity:
    activity = session.get(Activity, activity_id)
    if activity is None or activity.kind != "task":
        raise UserError("care.task_not_found")
    if activity.assigned_to_id != actor.id and not actor.is_admin:
        get_editable(session, actor, activity.entity, activity.entity_id)  # raises if not theirs to edit
    return activity


def complete_task(session: Session, actor: Actor, activity_id: int) -> Activity:
    """Mark a task done (its assignee, an admin, or whoever may edit its record). Twice is harmless."""
    activity = _task_for(session, actor, activity_id)
    if activity.done_at is not None:
        return activity
    activity.done_at, activity.done_by_id = utcnow(), actor.id
    session.add(activity)
    audit.record(session=session, entity=activity.entity, entity_id=activity.entity_id, action="task_done",
                 user_id=actor.id, changes={"title": activity.title})
    session.flush()
    refresh_next_task(session, activity.entity, activity.entity_id)
    return activity


def refresh_next_task(session: Session, entity: str, entity_id: int) -> None:
    """`next_task_at` = the earliest due time of the record's open tasks (None when there is none)."""
    model = ENTITIES[entity]
    earliest = (select(func.min(Activity.due_at))
                .where(Activity.entity == entity, Activity.entity_id == entity_id, Activity.kind == "task",
                       col(Activity.done_at).is_(None))
                .scalar_subquery())
    session.exec(update(model).where(col(model.id) == entity_id).values(next_task_at=earliest))


def refresh_last_contact(session: Session, entity: str, entity_id: int) -> None:
    model = ENTITIES[entity]
    latest = (select(func.max(Activity.created_at))
              .where(Activity.entity == entity, Activity.entity_id == entity_id,
                     col(Activity.kind).in_(("call", "note")))
              .scalar_subquery())
    session.exec(update(model).where(col(model.id) == entity_id).values(last_contacted_at=latest))


# ---------------------------------------------------------------- Việc của tôi

@dataclass(frozen=True)
class TaskRow:
    id: int
    title: str
    due: str
    record: str
    link: str
    assignee: str
    bucket: str  # overdue | today | upcoming


def _bounds(now: datetime, tz: tzinfo) -> tuple[datetime, datetime]:
    """The start and end (UTC) of today in the org's zone."""
    start = clock.start_of(clock.today(tz, now), tz)
    return start, start + timedelta(days=1)


def tasks_for(session: Session, actor: Actor, *, user_id: int | None = None, now: datetime | None = None,
              limit: int = 200) -> list[TaskRow]:
    """Open tasks of `user_id` (default the actor; another user's only for an admin), by due time."""
    target = user_id or actor.id
    if target != actor.id and not actor.is_admin:
        raise PermissionDenied()
    now = now or utcnow()
    tz = clock.zone(session)
    _, end_today = _bounds(now, tz)
    rows = session.exec(select(Activity).where(Activity.kind == "task", Activity.assigned_to_id == target,
                                               col(Activity.done_at).is_(None))
                        .order_by(col(Activity.due_at), col(Activity.id)).limit(limit)).all()
    names = _record_names(session, [(a.entity, a.entity_id) for a in rows])
    users = display.user_names(session, {target})
    out = []
    for a in rows:
        due = a.due_at or now
        bucket = "overdue" if due < now else ("today" if due < end_today else "upcoming")
        out.append(TaskRow(id=a.id or 0, title=a.title or "", due=clock.fmt_datetime(due, tz),
                           record=names.get((a.entity, a.entity_id), f"#{a.entity_id}"),
                           link=record_link(a.entity, a.entity_id), assignee=users.get(target, ""), bucket=bucket))
    return out


def open_task_count(session: Session, actor: Actor, now: datetime | None = None) -> int:
    """The sidebar badge: the actor's open tasks due today or earlier."""
    _, end_today = _bounds(now or utcnow(), clock.zone(session))
    return session.exec(select(func.count()).select_from(Activity).where(
        Activity.kind == "task", Activity.assigned_to_id == actor.id, col(Activity.done_at).is_(None),
        col(Activity.due_at) < end_today)).one()


def _record_names(session: Session, refs: list[tuple[str, int]]) -> dict[tuple[str, int], str]:
    out: dict[tuple[str, int], str] = {}
    for entity, model in ENTITIES.items():
        ids = {i for e, i in refs if e == entity}
        if ids:
            for rid, last, first in session.exec(select(model.id, model.last_name, model.first_name)
                                                 .where(col(model.id).in_(ids))).all():
                out[(entity, rid)] = f"{last or ''} {first}".strip()
    return out


def record_activities(session: Session, entity: str, entity_id: int) -> list[Activity]:
    """The record's open tasks, soonest first (the detail view's "Việc cần làm")."""
    return list(session.exec(select(Activity).where(Activity.entity == entity, Activity.entity_id == entity_id,
                                                    Activity.kind == "task", col(Activity.done_at).is_(None))
                             .order_by(col(Activity.due_at))))


# ---------------------------------------------------------------- reminders

def remind_due_tasks(session: Session, now: datetime | None = None) -> int:
    """Raise one in-app notification per open task due within the next 15 minutes (or already
    overdue and never reminded). Every consumer runs it: the unique activity_id on notifications
    makes a second run, or a racing consumer, add nothing."""
    now = now or utcnow()
    due = session.exec(select(Activity).where(Activity.kind == "task", col(Activity.done_at).is_(None),
                                              col(Activity.reminded_at).is_(None),
                                              col(Activity.due_at) <= now + REMIND_WINDOW)
                       .order_by(col(Activity.due_at)).limit(1000)).all()
    names = _record_names(session, [(a.entity, a.entity_id) for a in due])
    tz = clock.zone(session)
    sent = 0
    for a in due:
        if a.assigned_to_id is None:
            continue
        when = clock.fmt_datetime(a.due_at or now, tz, "%H:%M %d/%m")
        try:
            with session.begin_nested():
                session.add(Notification(user_id=a.assigned_to_id, kind="task_due", activity_id=a.id,
                                         message=t("care.reminder", title=a.title or "",
                                                   record=names.get((a.entity, a.entity_id), ""), when=when),
                                         link=record_link(a.entity, a.entity_id)))
        except IntegrityError:
            pass  # another consumer reminded it first
        else:
            sent += 1
        a.reminded_at = now
        session.add(a)
    return sent


def unread_notifications(session: Session, actor: Actor, limit: int = 20) -> list[Notification]:
    return list(session.exec(select(Notification).where(Notification.user_id == actor.id,
                                                        col(Notification.read_at).is_(None))
                             .order_by(col(Notification.created_at).desc()).limit(limit)))


def mark_notifications_read(session: Session, actor: Actor) -> int:
    result = session.exec(update(Notification).where(col(Notification.user_id) == actor.id,
                                                     col(Notification.read_at).is_(None))
                          .values(read_at=utcnow()))
    return int(result.rowcount or 0)
