"""The activity timeline: who created or changed what, how and when."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from crm_app.models import AuditEntry


def record(
    *, session: Session, entity: str, entity_id: int, action: str, user_id: int | None,
    source: str = "manual", changes: dict[str, Any] | None = None,
) -> None:
    session.add(AuditEntry(entity=entity, entity_id=entity_id, action=action, user_id=user_id,
                           source=source, changes=changes or {}))


def timeline(*, session: Session, entity: str, entity_id: int, limit: int = 200
             ) -> list[AuditEntry]:
    return list(session.exec(
        select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
        .order_by(col(AuditEntry.created_at).desc(), col(AuditEntry.id).desc())
        .limit(limit)
    ))
