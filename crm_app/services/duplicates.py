"""Tìm trùng: duplicate raw leads and Leads already in the CRM, their merge, and its undo.

A group is every record (raw lead or Lead, across both modules) linked to another by a matching
key, transitively: a phone (mobile or phone: both are stored normalised — E.164, the 0/84/+84 forms
and the pre-2018 prefixes already folded by services/phones.py — so SQL compares them as they are)
or an email (the lower-cased `email_key`). A shares a phone with B and B an email with C: one group
of three. Raw leads converted into a Lead are represented by their Lead; merged records are out.
The shared keys and their records come from SQL; a union-find over those rows alone makes the
groups, largest first; only the page shown loads its records.

A merge keeps one record, takes each field's value from any record of the group, moves the
others' timelines, activities, tickets, channel ids and channel events to it, and marks the
others "Đã gộp vào #N" (hidden from lists, never deleted; a raw lead merged into a Lead is
converted and linked). Everything it changed is kept on the merge row, so undo restores it exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, and_, case, func, or_, text, union_all
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlalchemy.dialects.postgresql import array as pg_array
from sqlmodel import Session, col, select

from crm_app.db import is_sqlite
from crm_app.fields import STATUS_CONVERTED
from crm_app.i18n import UserError
from crm_app.models import Activity, AuditEntry, ChannelEvent, Lead, MergeRecord, RawLead, Ticket, utcnow
from crm_app.services import activities, audit, clock
from crm_app.services.auth import Actor, PermissionDenied
from crm_app.services.phones import display_phone
from crm_app.services.raw_leads import access, display, validation
from crm_app.services.raw_leads.records import plain

MODELS: dict[str, Any] = {"raw_lead": RawLead, "lead": Lead}
CODES = {"raw_lead": "r", "lead": "l"}
ENTITY_OF_CODE = {v: k for k, v in CODES.items()}
# The fields a merge lets the user pick, in the form's order.
MERGE_FIELDS = (*validation.CONTACT_KEYS, "assigned_to", "zalo_user_id", "zalo_name", "facebook_psid",
                "facebook_name")
CHANNEL_IDS = ("zalo_user_id", "zalo_name", "facebook_psid", "facebook_name")
MAX_GROUP = 50  # a merge handles at most this many records (a shared office number is not a person)


@dataclass(frozen=True)
class Member:
    entity: str
    id: int
    name: str
    mobile: str
    phone: str
    email: str
    owner: str
    status: str
    created: str

    @property
    def ref(self) -> str:
        return f"{self.entity}:{self.id}"


@dataclass(frozen=True)
class Group:
    key: str  # the phone (0…) or email most of its records share, as shown
    keys: list[str]  # every phone and email its records share, the main one first
    size: int
    refs: list[str]  # "raw_lead:5", "lead:2", …
    members: list[Member]


@dataclass(frozen=True)
class GroupPage:
    groups: list[Group]
    total: int


def parse_ref(ref: str) -> tuple[str, int]:
    entity, _, ident = ref.partition(":")
    if entity not in MODELS or not ident.isdigit() or len(ident) > 12:
        raise UserError("dup.invalid")
    return entity, int(ident)


# ---------------------------------------------------------------- finding groups

def _live(session: Session, actor: Actor, model: Any) -> list[Any]:
    """The records a group may hold: not merged, not converted (their Lead stands for them), and
    the actor's to edit."""
    where = [col(model.merged_into).is_(None)]
    if model is RawLead:
        where.append(col(RawLead.converted_lead_id).is_(None))
    if (vis := access.visible_clause(session, actor, model)) is not None:
        where.append(vis)
    return where


def _key_columns(model: Any) -> list[tuple[Any, Any]]:
    """(key column, its extra condition): a phone equal to the record's own mobile is not a second key.
    Phones are E.164 ("+…") and emails hold an "@": the two never collide, so one column holds both."""
    return [(col(model.mobile), None),
            (col(model.phone), or_(col(model.mobile).is_(None), col(model.phone) != col(model.mobile))),
            (col(model.email_key), None)]


def _ref_code(entity: str, model: Any) -> Any:
    """A record as one integer (id·2, +1 for a Lead): what the aggregate keeps of each key's holders."""
    return col(model.id) * 2 + (1 if entity == "lead" else 0)


def _ref_of(code: int) -> str:
    return f"{'lead' if code % 2 else 'raw_lead'}:{code // 2}"


def _edges(session: Session, actor: Actor) -> list[tuple[str, int, int]]:
    """The edge list, in SQL: (key, record code, record code) for every key that more than one live
    record holds — the key's two holders for a key held twice, else (key, holder, holder) per holder.

    One scan of each table yields its keys with their record (PostgreSQL: unnest of the three keys of a
    row; SQLite: a scan per key column), one hash aggregate keeps the keys held more than once with
    their count and their first and last holder. A key held twice (nearly all) is then fully known;
    only the keys held three times or more look their records up again, through the key indexes."""
    scans = []
    for entity, model in MODELS.items():
        live = _live(session, actor, model)
        ref = _ref_code(entity, model)
        if is_sqlite(session):
            for key, extra in _key_columns(model):
                scans.append(sa_select(key.label("k"), ref.label("r")).where(
                    key.is_not(None), *live, *([extra] if extra is not None else [])))
        else:
            keys = [case((extra, key), else_=None) if extra is not None else key
                    for key, extra in _key_columns(model)]
            per_row = sa_select(func.unnest(pg_array(keys)).label("k"), ref.label("r")).where(*live).subquery()
            scans.append(sa_select(per_row.c.k, per_row.c.r).where(per_row.c.k.is_not(None)))
    all_keys = union_all(*scans).subquery("all_keys")
    agg = (sa_select(all_keys.c.k, func.count().label("n"), func.min(all_keys.c.r).label("lo"),
                     func.max(all_keys.c.r).label("hi"))
           .group_by(all_keys.c.k).having(func.count() > 1).cte("dupkeys"))
    if not is_sqlite(session):
        agg = agg.prefix_with("MATERIALIZED")
    many = sa_select(agg.c.k).where(agg.c.n > 2)
    parts = [sa_select(agg.c.k, agg.c.lo.label("a"), agg.c.hi.label("b")).where(agg.c.n == 2)]
    for entity, model in MODELS.items():
        live = _live(session, actor, model)
        for key, extra in _key_columns(model):
            code = _ref_code(entity, model)
            parts.append(sa_select(key.label("k"), code.label("a"), code.label("b"))
                         .where(key.in_(many), *live, *([extra] if extra is not None else [])))
    if is_sqlite(session):
        return [(k, int(a), int(b)) for k, a, b in session.execute(union_all(*parts)).all()]
    # The aggregate holds every key of the two tables (about 1.5 of them per record) in memory: it is
    # given the room for that instead of spilling to disk; on two shared cores, parallel workers only
    # add a merge of their partial aggregates, and compiling the plan (JIT) costs more than it saves.
    session.execute(text("SET LOCAL work_mem = '160MB'"))
    session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    session.execute(text("SET LOCAL jit = off"))
    try:
        return [(k, int(a), int(b)) for k, a, b in session.execute(union_all(*parts)).all()]
    finally:
        for setting in ("work_mem", "max_parallel_workers_per_gather", "jit"):
            session.execute(text(f"SET LOCAL {setting} TO DEFAULT"))


def _components(edges: list[tuple[str, int, int]]) -> list[tuple[str, list[str], list[int]]]:
    """Connected components of records linked by a shared key, transitively (A shares a phone with B,
    B an email with C: one group of three): union-find over the edge list. Each component as (its main
    key — the one most of its records share, phones first —, its keys, its record codes), largest first."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        root = x
        while (up := parent[root]) != root:
            root = up
        while (up := parent[x]) != root:  # path compression
            parent[x] = root
            x = up
        return root

    first_of_key: dict[str, int] = {}
    holders: dict[str, int] = {}
    for k, code, other in edges:
        parent.setdefault(code, code)
        if code != other:  # a key held twice: its two holders, known from the aggregate
            parent.setdefault(other, other)
            holders[k] = 2
        else:  # one holder of a key held three times or more
            holders[k] = holders.get(k, 0) + 1
            other = first_of_key.setdefault(k, code)
        first_of_key.setdefault(k, code)
        if other != code and (a := find(code)) != (b := find(other)):
            parent[a] = b
    members: dict[int, list[int]] = {}
    for code in parent:
        members.setdefault(find(code), []).append(code)
    keys: dict[int, list[str]] = {}
    for k, code in first_of_key.items():
        keys.setdefault(find(code), []).append(k)
    out = []
    for root, codes in members.items():
        if len(codes) > 1:
            ordered = sorted(keys[root], key=lambda k: (-holders[k], "@" in k, k))
            out.append((ordered[0], ordered, codes))
    out.sort(key=lambda c: (-len(c[2]), c[0]))
    return out


def _shown_key(k: str) -> str:
    return k if "@" in k else display_phone(k)


def find_groups(session: Session, actor: Actor, *, page: int = 1, page_size: int = 20) -> GroupPage:
    """Duplicate groups, largest first, one page of them with their members.

    A group is a connected component: records linked by a shared phone or email, transitively, across
    raw leads and Leads. The edges come from SQL (only the records holding a shared key); the
    components from a union-find over them; only the page shown loads its records."""
    components = _components(_edges(session, actor))
    if not components:
        return GroupPage(groups=[], total=0)
    start = (max(1, page) - 1) * page_size
    shown = components[start:start + page_size]
    found = _members(session, {_ref_of(c) for _, _, codes in shown for c in codes})
    out = []
    for key, keys, codes in shown:  # Leads first (the record to keep), then raw leads, oldest first
        ordered = [_ref_of(c) for c in sorted(codes, key=lambda c: (c % 2 == 0, c))]
        out.append(Group(key=_shown_key(key), keys=[_shown_key(k) for k in keys], size=len(codes), refs=ordered,
                         members=[found[ref] for ref in ordered if ref in found]))
    return GroupPage(groups=out, total=len(components))


def _members(session: Session, refs: set[str]) -> dict[str, Member]:
    out: dict[str, Member] = {}
    for entity, model in MODELS.items():
        ids = [parse_ref(r)[1] for r in refs if r.startswith(entity + ":")]
        if not ids:
            continue
        records = session.exec(select(model).where(col(model.id).in_(ids))).all()
        users = display.user_names(session, {r.assigned_to_id for r in records})
        tz = clock.zone(session)
        for r in records:
            out[f"{entity}:{r.id}"] = Member(
                entity=entity, id=r.id, name=f"{r.last_name or ''} {r.first_name}".strip(),
                mobile=display_phone(r.mobile), phone=display_phone(r.phone), email=r.email or "",
                owner=users.get(r.assigned_to_id, ""), status=r.status,
                created=clock.fmt_datetime(r.created_at, tz, clock.DATE_FORMAT))
    return out


# ---------------------------------------------------------------- merge

@dataclass(frozen=True)
class FieldChoice:
    key: str
    values: list[str]  # shown value per record, in the group's order
    chosen: int  # index of the preselected record: the kept one if it has a value, else the first that has


def _load(session: Session, actor: Actor, refs: list[str]) -> list[tuple[str, Any]]:
    if len(set(refs)) < 2:
        raise UserError("dup.too_few")
    if len(set(refs)) > MAX_GROUP:
        raise UserError("dup.too_many", max=MAX_GROUP)
    out = []
    for ref in dict.fromkeys(refs):
        entity, ident = parse_ref(ref)
        out.append((entity, activities.get_editable(session, actor, entity, ident)))
    return out


def field_choices(session: Session, actor: Actor, refs: list[str], kept: str) -> list[FieldChoice]:
    """The merge form: each field's value in every record, the non-empty one preselected."""
    records = _load(session, actor, refs)
    order = sorted(range(len(records)), key=lambda i: f"{records[i][0]}:{records[i][1].id}" != kept)
    users = display.user_names(session, {r.assigned_to_id for _, r in records})
    tz = clock.zone(session)
    out = []
    for key in MERGE_FIELDS:
        shown = [display.display_value(r, key, users, tz) for _, r in records]
        chosen = next((i for i in order if shown[i] != ""), order[0])
        out.append(FieldChoice(key=key, values=shown, chosen=chosen))
    return out


def _plain_row(record: Any) -> dict[str, Any]:
    return {c.name: plain(getattr(record, c.name)) for c in record.__table__.columns}


def _restore_row(record: Any, values: dict[str, Any]) -> None:
    for column in record.__table__.columns:
        if column.name == "id" or column.name not in values:
            continue
        value = values[column.name]
        kind = getattr(column.type, "impl_instance", column.type)  # UTCDateTime decorates DateTime
        if isinstance(value, str) and isinstance(kind, DateTime):
            value = datetime.fromisoformat(value)
        elif isinstance(value, str) and isinstance(kind, Date):
            value = date.fromisoformat(value)
        setattr(record, column.name, value)


def _moved(session: Session, model: Any, refs: dict[str, list[int]]) -> list[list[Any]]:
    """Rows of `model` (audit entries or activities) owned by the merged records: [id, entity, entity_id]."""
    clauses = [and_(model.entity == entity, col(model.entity_id).in_(ids)) for entity, ids in refs.items() if ids]
    if not clauses:
        return []
    return [list(r) for r in session.exec(select(model.id, model.entity, model.entity_id).where(or_(*clauses)))]


def _linked(session: Session, model: Any, refs: dict[str, list[int]]) -> list[list[Any]]:
    """Tickets or channel events linked to the merged records: [id, raw_lead_id, lead_id]."""
    clauses = []
    if refs.get("raw_lead"):
        clauses.append(col(model.raw_lead_id).in_(refs["raw_lead"]))
    if refs.get("lead"):
        clauses.append(col(model.lead_id).in_(refs["lead"]))
    if not clauses:
        return []
    return [list(r) for r in session.exec(select(model.id, model.raw_lead_id, model.lead_id).where(or_(*clauses)))]


def merge(session: Session, actor: Actor, refs: list[str], *, kept: str, choices: dict[str, str]) -> MergeRecord:
    """Merge the records `refs` into `kept`; `choices` maps a field to the ref whose value it takes
    (a field left out keeps the preselected value). Audited; undone by `undo_merge`."""
    records = _load(session, actor, [kept, *refs])
    by_ref = {f"{e}:{r.id}": r for e, r in records}
    kept_entity, kept_id = parse_ref(kept)
    target = by_ref[kept]
    others = [(e, r) for e, r in records if not (e == kept_entity and r.id == kept_id)]
    if kept_entity == "raw_lead" and any(e == "lead" for e, _ in others):
        raise UserError("dup.keep_lead")
    snapshot: dict[str, Any] = {"records": {ref: _plain_row(r) for ref, r in by_ref.items()}}
    # Field values: the chosen record's, else the preselected one (kept first, then the first non-empty).
    preselected = {c.key: list(by_ref)[c.chosen] for c in field_choices(session, actor, list(by_ref), kept)}
    values: dict[str, Any] = {}
    for key in MERGE_FIELDS:
        source = by_ref.get(choices.get(key, ""), by_ref[preselected[key]])
        column = "assigned_to_id" if key == "assigned_to" else key
        values[column] = getattr(source, column)
    custom = dict(target.custom or {})
    for _, r in others:  # custom fields: the kept record's values, its empty ones filled from the others
        for k, v in (r.custom or {}).items():
            if custom.get(k) in (None, ""):
                custom[k] = v
    changes = {k: [plain(getattr(target, k)), plain(v)]
               for k, v in values.items() if getattr(target, k) != v}
    other_ids: dict[str, list[int]] = {"raw_lead": [], "lead": []}
    for entity, r in others:
        other_ids[entity].append(r.id)
    # Links first, while the rows still name the merged records.
    snapshot["audit"] = _moved(session, AuditEntry, other_ids)
    snapshot["activities"] = _moved(session, Activity, other_ids)
    snapshot["tickets"] = _linked(session, Ticket, other_ids)
    snapshot["events"] = _linked(session, ChannelEvent, other_ids)
    snapshot["converted_links"] = [list(r) for r in session.exec(
        select(RawLead.id, RawLead.converted_lead_id).where(col(RawLead.converted_lead_id).in_(other_ids["lead"])))
    ] if other_ids["lead"] else []
    for model in (AuditEntry, Activity):
        for entity, ids in other_ids.items():
            if ids:
                session.exec(sa_update(model).where(model.entity == entity, col(model.entity_id).in_(ids))  # type: ignore[call-overload]
                             .values(entity=kept_entity, entity_id=kept_id))
    for model in (Ticket, ChannelEvent):
        link = model.lead_id if kept_entity == "lead" else model.raw_lead_id
        for entity, ids in other_ids.items():
            column = model.raw_lead_id if entity == "raw_lead" else model.lead_id
            if ids:
                session.exec(sa_update(model).where(col(column).in_(ids)).values({link.key: kept_id}))  # type: ignore[call-overload]
    if other_ids["lead"]:  # raw leads converted into a merged Lead now lead to the kept one
        session.exec(sa_update(RawLead).where(col(RawLead.converted_lead_id).in_(other_ids["lead"]))  # type: ignore[call-overload]
                     .values(converted_lead_id=kept_id))
    now = utcnow()
    for entity, r in others:
        for key in CHANNEL_IDS:  # the channel ids now belong to the kept record alone
            setattr(r, key, None)
        r.merged_into = kept
        r.modified_at, r.modified_by_id = now, actor.id
        if entity == "raw_lead" and kept_entity == "lead":
            r.status, r.converted_lead_id = STATUS_CONVERTED, kept_id
        session.add(r)
    session.flush()  # the others' channel ids are cleared before the kept record takes them
    for key, value in values.items():
        setattr(target, key, value)
    target.custom = custom
    derived = validation.with_derived_keys({}, target)
    target.email_key, target.search_text = derived["email_key"], derived["search_text"]
    target.modified_at, target.modified_by_id = now, actor.id
    session.add(target)
    session.flush()
    activities.refresh_last_contact(session, kept_entity, kept_id)
    activities.refresh_next_task(session, kept_entity, kept_id)
    row = MergeRecord(kept_entity=kept_entity, kept_id=kept_id, user_id=actor.id, snapshot=snapshot)
    session.add(row)
    session.flush()
    merged_refs = [f"{e}:{r.id}" for e, r in others]
    audit.record(session=session, entity=kept_entity, entity_id=kept_id, action="duplicates_merged", user_id=actor.id,
                 changes={**changes, "merged": [None, ", ".join(merged_refs)]})
    for entity, r in others:
        audit.record(session=session, entity=entity, entity_id=r.id, action="duplicates_merged", user_id=actor.id,
                     changes={"merged_into": [None, kept]})
    audit.record(session=session, entity="merge", entity_id=row.id or 0, action="created", user_id=actor.id,
                 changes={"kept": kept, "merged": merged_refs})
    return row


def undo_merge(session: Session, actor: Actor, merge_id: int) -> MergeRecord:
    """Put every record and every moved link back as it was before the merge."""
    row = session.get(MergeRecord, merge_id)
    if row is None:
        raise UserError("dup.merge_not_found")
    if row.undone_at is not None:
        raise UserError("dup.already_undone")
    if not actor.is_admin and row.user_id != actor.id:
        raise PermissionDenied()
    snap = row.snapshot
    for ref, values in snap["records"].items():
        entity, ident = parse_ref(ref)
        record = session.get(MODELS[entity], ident)
        if record is None:
            raise UserError("dup.record_gone", ref=ref)
        _restore_row(record, values)
        session.add(record)
    session.flush()
    for model, key in ((AuditEntry, "audit"), (Activity, "activities")):
        by_owner: dict[tuple[str, int], list[int]] = {}
        for ident, entity, entity_id in snap.get(key, []):
            by_owner.setdefault((entity, entity_id), []).append(ident)
        for (entity, entity_id), ids in by_owner.items():
            session.exec(sa_update(model).where(col(model.id).in_(ids))  # type: ignore[call-overload]
                         .values(entity=entity, entity_id=entity_id))
    for model, key in ((Ticket, "tickets"), (ChannelEvent, "events")):
        by_links: dict[tuple[Any, Any], list[int]] = {}
        for ident, raw_id, lead_id in snap.get(key, []):
            by_links.setdefault((raw_id, lead_id), []).append(ident)
        for (raw_id, lead_id), ids in by_links.items():
            session.exec(sa_update(model).where(col(model.id).in_(ids))  # type: ignore[call-overload]
                         .values(raw_lead_id=raw_id, lead_id=lead_id))
    for raw_id, lead_id in snap.get("converted_links", []):
        session.exec(sa_update(RawLead).where(col(RawLead.id) == raw_id).values(converted_lead_id=lead_id))  # type: ignore[call-overload]
    row.undone_at, row.undone_by_id = utcnow(), actor.id
    session.add(row)
    for ref in snap["records"]:
        entity, ident = parse_ref(ref)
        audit.record(session=session, entity=entity, entity_id=ident, action="merge_undone", user_id=actor.id,
                     changes={"merge": [None, row.id]})
    return row


def resolve(session: Session, record: Any) -> Any:
    """The record that stands for `record`: the one it was merged into (followed a few hops), else itself.
    Channels matching a merged record's old phone or email land on the record kept."""
    for _ in range(5):
        if not record.merged_into:
            break
        entity, ident = parse_ref(record.merged_into)
        target = session.get(MODELS[entity], ident)
        if target is None:
            break
        record = target
    return record


def last_merges(session: Session, actor: Actor, limit: int = 10) -> list[MergeRecord]:
    """The actor's recent merges (an admin: everyone's), for the undo list."""
    query = select(MergeRecord).order_by(col(MergeRecord.id).desc()).limit(limit)
    if not actor.is_admin:
        query = query.where(MergeRecord.user_id == actor.id)
    return list(session.exec(query))

