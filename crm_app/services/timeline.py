"""Timeline entries of a record, as readable lines (who, when, how, what changed)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from crm_app.fields import BUILTIN_BY_KEY
from crm_app.i18n import t
from crm_app.services import audit, clock
from crm_app.services.raw_leads import user_names

_KEY_ALIASES = {"assigned_to_id": "assigned_to"}


@dataclass(frozen=True)
class TimelineLine:
    when: str
    who: str
    action: str
    source: str
    changes: list[str]


def _label(key: str, locale: str) -> str:
    fd = BUILTIN_BY_KEY.get(_KEY_ALIASES.get(key, key))
    return fd.label(locale) if fd else key


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
        for key, pair in (e.changes or {}).items():
            old, new = (list(pair) + [None, None])[:2] if isinstance(pair, list) else (None, pair)
            if key == "assigned_to_id":
                old, new = names_for_ids.get(old, old), names_for_ids.get(new, new)
            changes.append(f"{_label(key, locale)}: {old if old not in (None, '') else '∅'} → "
                           f"{new if new not in (None, '') else '∅'}")
        out.append(TimelineLine(
            when=clock.fmt_datetime(e.created_at, tz),
            who=users.get(e.user_id or 0, t("timeline.system", locale)),
            action=t(f"timeline.{e.action}", locale),
            source=_source(e.source, locale),
            changes=changes if e.action != "created" else [],
        ))
    return out
