"""The quick search: every word of the search box in a record's folded search text (FTS on SQLite)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, column, table, text
from sqlmodel import Session, col, select

from crm_app.db import is_sqlite
from crm_app.models import RawLead
from crm_app.services.phones import normalise_phone
from crm_app.services.text import fold

_FTS = table("raw_leads_fts", column("rowid"))


def search_clause(session: Session, search: str, model: Any = RawLead) -> ColumnElement[bool] | None:
    """Every word must occur in the folded name/phones/email/company.

    On SQLite, words of three characters or more go through the FTS5 trigram index (see
    migration 0002); on PostgreSQL the pg_trgm index serves the LIKE itself."""
    search = search.strip()
    if not search:
        return None
    phone = normalise_phone(search)
    words = [fold(phone)] if phone is not None else fold(search).split()[:6]
    likes = [col(model.search_text).contains(word, autoescape=True) for word in words]
    indexed = [w for w in words if len(w) >= 3]
    if not indexed or not is_sqlite(session) or model is not RawLead:  # the FTS table indexes raw leads
        return and_(*likes)
    match = " AND ".join('"' + w.replace('"', '""') + '"' for w in indexed)
    fts_ids = select(_FTS.c.rowid).where(text("raw_leads_fts MATCH :fts_query").bindparams(fts_query=match))
    short = [like for w, like in zip(words, likes, strict=True) if len(w) < 3]
    return and_(col(RawLead.id).in_(fts_ids), *short)
