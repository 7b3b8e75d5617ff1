"""Keyset pages in id order (the REST API's cursor): no record skipped or repeated while others are added."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, func, select


@dataclass
class KeysetPage:
    records: list[Any]
    total: int
    next_after: int | None  # the last id of this page when more records follow


def keyset_page(session: Session, model: Any, where: list[ColumnElement[bool]], *, after: int | None,
                limit: int) -> KeysetPage:
    """Records in id order after the id `after`: a page never skips or repeats a record while
    others are added (new ids come last), unlike OFFSET. `total` counts every page."""
    total = session.exec(select(func.count()).select_from(model).where(*where)).one()
    page_where = [*where, col(model.id) > after] if after is not None else where
    records = list(session.exec(select(model).where(*page_where).order_by(col(model.id)).limit(limit + 1)))
    more = len(records) > limit
    records = records[:limit]
    return KeysetPage(records, total, records[-1].id if more else None)
