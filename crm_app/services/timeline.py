"""Timeline entries of a record, as readable lines (who, when, how, what changed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlmodel import Session

from crm_app.fields import BUILTIN_BY_KEY
from crm_app.i18n import t
from crm_app.services import audit, clock
from crm_app.services.raw_leads.display import user_names

_KEY_ALIASES = {"assigned_to_id": "assigned_to"}
CARE_ACTIONS = ("call", "note", "task", "task_done")


@dataclass(frozen=True)
class TimelineLine:
    when: str
    who: str
    action: str
    source: str
    changes: list[str]
    import_id: int = 0  # the import that wrote this entry (its result is linked), or 0


def _import_id(source: str) -> int:
    tail = source.removeprefix("import:")
    return int(tail) if source.startswith("import:") and tail.isdigit() else 0


def _label(key: str, locale: str) -> str:
    fd = BUILTIN_BY_KEY.get(_KEY_ALIASES.get(key, key))
    if fd:
        return fd.label(locale)
    text = t(f"field.{key}", locale)  # keys that are not fields (a merge's), from the catalogue
    return key if text == f"field.{key}" else text


def _source(source: str, locale: str) -> str:
    if source.startswith("import:"):
        return f"Import #{source.split(':', 1)[1]}"
    if source.startswith("channel:"):
        return source.split(":", 1)[1]
    key = f"source.{source}"
    text = t(key, locale)
    return "" if text == key else text


def lines(session: Session, entity: str, entity_id: int, locale: str = "vi") -> list[TimelineLine]:
    entries = audit.timeline(session=session, entity=entity, entity_id=entity_id)
    users = user_names(session, {e.user_id for e in entries if e.user_id})
    names_for_ids = user_names(session, {int(v) for e in entries
                                         for v in (e.changes or {}).get("assigned_to_id", []) if v})
    tz = clock.zone(session)
    out = []
    for e in entries:
        changes = []
        if e.action == "message":  # a chat message: show what the person wrote
            out.append(TimelineLine(when=clock.fmt_datetime(e.created_at, tz),
                                    who=_source(e.source, locale), action=t("timeline.message", locale), source="",
                                    changes=[f"«{(e.changes or {}).get('message', '')}»"]))
            continue
        if e.action in CARE_ACTIONS:  # a care activity: what was said or planned, not old → new
            out.append(TimelineLine(when=clock.fmt_datetime(e.created_at, tz),
                                    who=users.get(e.user_id or 0, t("timeline.system", locale)),
                                    action=t(f"timeline.{e.action}", locale), source="",
                                    changes=_care_details(e.changes or {}, locale, tz)))
            continue
        for key, pair in (e.changes or {}).items():
            old, new = (list(pair) + [None, None])[:2] if isinstance(pair, list) else (None, pair)
            if key == "assigned_to_id":
                old, new = (names_for_ids.get(v, v) if isinstance(v, int) else v for v in (old, new))
            changes.append(f"{_label(key, locale)}: {old if old not in (None, '') else '∅'} → "
                           f"{new if new not in (None, '') else '∅'}")
        out.append(TimelineLine(
            when=clock.fmt_datetime(e.created_at, tz),
            who=users.get(e.user_id or 0, t("timeline.system", locale)),
            action=t(f"timeline.{e.action}", locale),
            source=_source(e.source, locale),
            changes=changes if e.action != "created" else [],
            import_id=_import_id(e.source),
        ))
    return out


def _care_details(changes: dict, locale: str, tz: tzinfo) -> list[str]:
    out = []
    if changes.get("title"):
        out.append(f"«{changes['title']}»")
    if changes.get("outcome"):
        out.append(f"{t('timeline.outcome', locale)}: {changes['outcome']}")
    if changes.get("due_at"):
        due = clock.fmt_datetime(datetime.fromisoformat(changes["due_at"]), tz)
        out.append(f"{t('timeline.due', locale)}: {due}")
    if changes.get("assignee"):
        out.append(f"{t('timeline.assignee', locale)}: {changes['assignee']}")
    if changes.get("note"):
        out.append(str(changes["note"]))
    return out
