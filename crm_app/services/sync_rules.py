"""Channel sync rules (Cấu hình hệ thống → Tích hợp → Cấu hình đồng bộ thông tin KH; DESIGN §4).

`apply_incoming` is the one function every channel calls: from the admin's five settings
(sync_settings.py) it decides whether an incoming person (incoming.py) creates, updates or
converts a raw lead / lead, assigns new records and maybe opens a ticket. Call it inside
`db.write_session` (the round-robin cursor and the duplicate check rely on the write transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, or_, text
from sqlalchemy import inspect as sa_inspect
from sqlmodel import Session, col, select

from crm_app.fields import STATUS_CONVERTED, STATUS_NEW, raw_lead_fields
from crm_app.i18n import t
from crm_app.models import Lead, RawLead, utcnow
from crm_app.services import assignment, audit, conversion, duplicates, field_values, input_sources, tickets
from crm_app.services.field_values import is_email
from crm_app.services.incoming import (
    ATTRIBUTION,
    CONVERTED,
    CREATED_LEAD,
    CREATED_NEW_DUPLICATE,
    CREATED_RAW_LEAD,
    STORED_NOTHING,
    UPDATED_LEAD,
    UPDATED_RAW_LEAD,
    Decision,
    IncomingPerson,
)
from crm_app.services.phones import display_phone, phone_key
from crm_app.services.sync_settings import SyncSettings, load_config
from crm_app.services.text import SEARCH_FIELDS, derived_keys, email_key


def condition_met(condition: str, *, has_phone: bool, has_email: bool) -> bool:
    """Setting (1): what the channel's data must contain."""
    return {
        "email": has_email,
        "phone": has_phone,
        "email_or_phone": has_email or has_phone,
        "email_and_phone": has_email and has_phone,
    }[condition]


@dataclass
class _Incoming:
    """The person normalised into column values."""

    values: dict[str, Any]
    custom: dict[str, str]
    notes: list[str]  # extra data with no field: appended to the description

    @property
    def phone(self) -> str | None:
        return self.values.get("mobile")

    @property
    def email_key(self) -> str | None:
        return email_key(self.values.get("email"))


def _clip(model: type[RawLead] | type[Lead], key: str, value: str) -> str:
    # Channels send arbitrary lengths; PostgreSQL would refuse what the column cannot hold.
    length = getattr(sa_inspect(model).columns[key].type, "length", None)
    return value[:length] if length else value


def _names(person: IncomingPerson) -> tuple[str | None, str | None]:
    """(first, last): Vietnamese full names put the given name last ("Nguyễn Văn A" → A)."""
    first, last = (person.first_name or "").strip(), (person.last_name or "").strip()
    if not first and not last and (person.full_name or "").strip():
        *rest, first = (person.full_name or "").split()
        last = " ".join(rest)
    return first or None, last or None


def _normalise(session: Session, person: IncomingPerson) -> _Incoming:
    first, last = _names(person)
    phone = phone_key(person.phone)
    email = (person.email or "").strip()
    notes: list[str] = []
    if (person.phone or "").strip() and phone is None:
        notes.append(f"phone: {person.phone}")  # kept for a human, never used to match
    if email and not is_email(email):
        notes.append(f"email: {email}")
        email = ""
    raw = {"first_name": first, "last_name": last, "mobile": phone, "email": email,
           "street": person.street, "ward": person.ward, "district": person.district,
           "province": person.province, "country": person.country,
           "zalo_user_id": person.zalo_user_id, "zalo_name": person.zalo_name,
           "facebook_psid": person.facebook_psid, "facebook_name": person.facebook_name}
    values: dict[str, Any] = {k: _clip(RawLead, k, str(v).strip()) for k, v in raw.items() if v and str(v).strip()}
    for key, value in person.attribution.items():
        if key in ATTRIBUTION and value is not None and str(value).strip():
            values[key] = _clip(RawLead, key, str(value).strip())
    for key, value in person.fields.items():
        if value is None or value == "":
            continue
        if key == "description":
            notes.insert(0, value)
        else:
            values[key] = _clip(RawLead, key, value) if isinstance(value, str) else value
    custom_fields = {f.key: f for f in raw_lead_fields(session) if f.custom}
    lookups = field_values.Lookups(session)
    custom: dict[str, str] = {}
    for key, value in person.extra.items():
        if not str(value).strip():
            continue
        fd = custom_fields.get("cf_" + key.removeprefix("cf_"))
        try:
            # The same parser as the form and the import; a value it refuses is kept for a human.
            parsed = field_values.parse(fd, value, lookups) if fd is not None else None
        except field_values.BadValue:
            parsed = None
        if fd is not None and parsed is not None:
            custom[key.removeprefix("cf_")] = parsed
        else:
            notes.append(f"{key}: {value}")
    return _Incoming(values=values, custom=custom, notes=notes)


def _refresh_keys(record: RawLead | Lead) -> None:
    """email_key and search_text, by the one definition (services.text.derived_keys)."""
    keys = derived_keys({k: getattr(record, k) for k in SEARCH_FIELDS})
    record.email_key, record.search_text = keys["email_key"], keys["search_text"]


@dataclass
class _Match:
    record: RawLead | Lead
    by_identity: bool  # same Zalo/Facebook id: the same conversation, not a duplicate


def _lock_person(session: Session, incoming: _Incoming) -> None:
    """Serialise concurrent arrivals of the same person (a Zalo follow and its first message come
    together) so that both do not create a record. SQLite's BEGIN IMMEDIATE already does; on
    PostgreSQL, transaction-scoped advisory locks on the person's keys, taken in sorted order so
    that two arrivals cannot deadlock."""
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted({f"sync:{k}:{incoming.values[k]}" for k in ("zalo_user_id", "facebook_psid", "mobile")
                   if k in incoming.values} | ({f"sync:email:{incoming.email_key}"} if incoming.email_key else set()))
    if keys:  # one round trip; WITH ORDINALITY keeps the sorted order in which the locks are taken
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(k)) FROM unnest(CAST(:keys AS text[])) "
                             "WITH ORDINALITY AS t(k, n) ORDER BY n"), {"keys": keys})


def _find_match(session: Session, incoming: _Incoming) -> _Match | None:
    """Channel identities first, then phone (mobile or phone column), then email; Leads before
    raw leads. A converted raw lead stands for its Lead."""
    def by_zalo(m: Any) -> ColumnElement[bool]:
        return col(m.zalo_user_id) == incoming.values["zalo_user_id"]

    def by_psid(m: Any) -> ColumnElement[bool]:
        return col(m.facebook_psid) == incoming.values["facebook_psid"]

    def by_phone(m: Any) -> ColumnElement[bool]:
        return or_(col(m.mobile) == incoming.phone, col(m.phone) == incoming.phone)

    def by_email(m: Any) -> ColumnElement[bool]:
        return col(m.email_key) == incoming.email_key

    keys = [(identity, clause) for present, identity, clause in (
        ("zalo_user_id" in incoming.values, True, by_zalo),
        ("facebook_psid" in incoming.values, True, by_psid),
        (incoming.phone is not None, False, by_phone),
        (incoming.email_key is not None, False, by_email)) if present]
    if not keys:
        return None
    # One query per table (not one per key and table): each table's best record by key rank, then
    # the lower rank wins and, on a tie, the Lead.
    best: tuple[int, int, RawLead | Lead] | None = None
    models: tuple[Any, ...] = (Lead, RawLead)
    for order, model in enumerate(models):
        clauses = [clause(model) for _, clause in keys]
        rank = case(*[(c, n) for n, c in enumerate(clauses)], else_=len(keys))
        found: Any = session.exec(select(model, rank).where(or_(*clauses))
                             .order_by(rank, col(model.id)).limit(1)).first()
        if found is not None and (best is None or (found[1], order) < best[:2]):
            best = (found[1], order, found[0])
    if best is None:
        return None
    rank_found, _, record = best
    identity = keys[rank_found][0]
    if isinstance(record, Lead):
        return _Match(duplicates.resolve(session, record), identity)  # a merged record: the one kept
    raw = duplicates.resolve(session, record)
    linked = session.get(Lead, raw.converted_lead_id) if getattr(raw, "converted_lead_id", None) else None
    return _Match(linked or raw, identity)


def _entity(record: RawLead | Lead) -> str:
    return "raw_lead" if isinstance(record, RawLead) else "lead"


def _overwrite(session: Session, record: RawLead | Lead, incoming: _Incoming, source: str) -> None:
    """Ghi đè: the non-empty incoming values replace the record's."""
    changes: dict[str, Any] = {}
    for key, value in incoming.values.items():
        value = _clip(type(record), key, value)
        if getattr(record, key) != value:
            changes[key] = [getattr(record, key), value]
            setattr(record, key, value)
    custom = {**(record.custom or {}), **incoming.custom}
    if custom != (record.custom or {}):
        changes["custom"] = [record.custom, custom]
        record.custom = custom
    note = "\n".join(incoming.notes)
    if note and note not in (record.description or ""):
        description = f"{record.description}\n{note}" if record.description else note
        changes["description"] = [record.description, description]
        record.description = description
    if not changes:
        return
    _refresh_keys(record)
    record.modified_at = utcnow()
    session.add(record)
    assert record.id is not None
    audit.record(session=session, entity=_entity(record), entity_id=record.id, action="updated",
                 user_id=None, source=source, changes=changes)


def _create(session: Session, model: type[RawLead] | type[Lead], person: IncomingPerson,
            incoming: _Incoming, settings: SyncSettings, source: str) -> RawLead | Lead:
    values: dict[str, Any] = dict(incoming.values)
    if "first_name" not in values:  # first_name is required: best name the channel gave
        values["first_name"] = _clip(model, "first_name", person.zalo_name or person.facebook_name
                                     or display_phone(incoming.phone) or values.get("email")
                                     or t("sync.unnamed", channel=person.channel))
    assignee = assignment.assign_incoming(session, settings, source=source)
    channel = _clip(model, "input_source", input_sources.resolve(session, person.channel))
    record = model(**values, custom=incoming.custom, description="\n".join(incoming.notes) or None,
                   status=STATUS_NEW, input_source=channel, assigned_to_id=assignee)
    _refresh_keys(record)
    session.add(record)
    session.flush()
    assert record.id is not None
    audit.record(session=session, entity=_entity(record), entity_id=record.id, action="created",
                 user_id=None, source=source,
                 changes={"input_source": [None, channel], "assigned_to_id": [None, assignee]})
    return record


def _update(session: Session, record: RawLead | Lead, incoming: _Incoming, settings: SyncSettings,
            source: str) -> Decision:
    _overwrite(session, record, incoming, source)
    if isinstance(record, Lead):
        return Decision(UPDATED_LEAD, raw_lead_id=record.raw_lead_id, lead_id=record.id,
                        assigned_to_id=record.assigned_to_id)
    # Setting (4): the raw lead now reaches the condition the config routes to Lead → convert.
    # With target "raw_lead" the record is already where the config wants it, so it stays.
    reachable = condition_met(settings.condition, has_phone=bool(record.mobile or record.phone),
                              has_email=bool(record.email))
    if (settings.convert_on_update and settings.target_when_met == "lead" and reachable
            and record.status != STATUS_CONVERTED):
        lead = conversion.convert_raw_lead(session, record, actor_id=None, source=source)
        return Decision(CONVERTED, raw_lead_id=record.id, lead_id=lead.id,
                        assigned_to_id=lead.assigned_to_id)
    return Decision(UPDATED_RAW_LEAD, raw_lead_id=record.id, assigned_to_id=record.assigned_to_id)


def apply_incoming(session: Session, person: IncomingPerson, *, source: str) -> Decision:
    """Apply the sync rules to one incoming person; `source` goes to the audit trail
    (e.g. "channel:Zalo OA")."""
    source = source[:64]
    settings = load_config(session)
    incoming = _normalise(session, person)
    _lock_person(session, incoming)
    match = _find_match(session, incoming)
    # Ghi đè updates the match; Bỏ qua creates a new record regardless of duplicates. A match on
    # the channel identity is the same person's own record (a follow-up message), not a
    # duplicate, so it is updated in both modes.
    if match is not None and (match.by_identity or settings.on_match == "overwrite"):
        decision = _update(session, match.record, incoming, settings, source)
    else:
        met = condition_met(settings.condition, has_phone=incoming.phone is not None,
                            has_email=incoming.email_key is not None)
        target = settings.target_when_met if met else settings.target_when_not_met
        if target == "none":
            return Decision(STORED_NOTHING)
        record = _create(session, Lead if target == "lead" else RawLead, person, incoming, settings,
                         source)
        action = CREATED_NEW_DUPLICATE if match is not None else (
            CREATED_LEAD if target == "lead" else CREATED_RAW_LEAD)
        decision = Decision(action, assigned_to_id=record.assigned_to_id,
                            raw_lead_id=record.id if isinstance(record, RawLead) else None,
                            lead_id=record.id if isinstance(record, Lead) else None)
    ticket = tickets.maybe_open_ticket(session, settings, person, decision.raw_lead_id,
                                       decision.lead_id, decision.assigned_to_id)
    decision.ticket_id = ticket.id if ticket is not None else None
    return decision
