"""The raw-lead list as an .xlsx workbook: the list's own query, every field a column."""

from __future__ import annotations

import io

from openpyxl import Workbook
from sqlmodel import Session, col, select

from crm_app.fields import raw_lead_fields
from crm_app.models import RawLead, User
from crm_app.services import clock
from crm_app.services.auth import Actor
from crm_app.services.raw_leads.display import display_value, user_names
from crm_app.services.raw_leads.query import ListQuery, filtered
from crm_app.services.spreadsheet import safe_cell


def export_xlsx(session: Session, actor: Actor, query: ListQuery | None = None) -> bytes:
    """Every field as a column with Vietnamese labels; phones as 0XXXXXXXXX (DESIGN §5)."""
    query = query or ListQuery()
    fields = [f for f in raw_lead_fields(session) if f.key != "converted_lead_id"]
    by_key = {f.key: f for f in fields}
    where = filtered(session, actor, query)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("KH thô")
    ws.append(["ID", *[f.label_vi for f in fields], "Ngày tạo"])
    users = user_names(session, set(session.exec(select(User.id)).all()) - {None})  # type: ignore[arg-type]
    tz = clock.zone(session)
    last_id = 0
    while True:
        batch = session.exec(select(RawLead).where(*where, col(RawLead.id) > last_id)
                             .order_by(col(RawLead.id)).limit(2000)).all()
        if not batch:
            break
        for r in batch:
            ws.append([r.id, *[safe_cell(display_value(r, f.key, users, tz, by_key)) for f in fields],
                       display_value(r, "created_at", users, tz)])
        last_id = batch[-1].id or last_id
        session.expunge_all()
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
