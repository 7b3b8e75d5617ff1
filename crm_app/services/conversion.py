"""Raw lead → Lead: one function that the detail view, the CLI and the channel rules call."""

from __future__ import annotations

from sqlmodel import Session

from crm_app.i18n import UserError
from crm_app.models import Lead, RawLead
from crm_app.services import audit
from crm_app.services.auth import Actor
from crm_app.services.incoming import ATTRIBUTION
from crm_app.services.raw_leads import access, records, validation

COPIED = (*validation.CONTACT_KEYS, "email_key", "search_text", "assigned_to_id", "zalo_user_id",
          "zalo_name", "facebook_psid", "facebook_name", "input_source", "custom", *ATTRIBUTION)


def convert_raw_lead(session: Session, record: RawLead, *, actor_id: int | None,
                     source: str = "manual") -> Lead:
    """Create the Lead (or return the one already linked), mark the raw lead converted,
    link both ways and write both timelines."""
    if record.converted_lead_id is not None:
        existing = session.get(Lead, record.converted_lead_id)
        if existing is not None:
            return existing
    lead = Lead(**{k: getattr(record, k) for k in COPIED}, raw_lead_id=record.id,
                created_by_id=actor_id, modified_by_id=actor_id)
    session.add(lead)
    session.flush()
    assert lead.id is not None
    records.mark_converted(session, record, lead.id, actor_id, source)
    audit.record(session=session, entity="lead", entity_id=lead.id, action="created",
                 user_id=actor_id, source=source, changes={"raw_lead_id": [None, record.id]})
    return lead


def convert_by_user(session: Session, actor: Actor, record_id: int) -> Lead:
    """The "Chuyển đổi thành Lead" button: the record must be visible and reachable."""
    record = access.get_visible(session, actor, record_id)
    if not (record.mobile or record.phone or record.email):
        raise UserError("convert.unreachable")
    return convert_raw_lead(session, record, actor_id=actor.id)
