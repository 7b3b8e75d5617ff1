"""Column → field mapping: automatic by label/key, or saved by name for reuse."""

from __future__ import annotations

from sqlmodel import Session, select

from crm_app.fields import FieldDef
from crm_app.i18n import UserError
from crm_app.models import SavedMapping
from crm_app.services.auth import Actor
from crm_app.services.field_synonyms import FULL_NAME, field_key_for
from crm_app.services.importer.rows import NAME_PARTS, importable_fields
from crm_app.services.text import fold

MODULE = "raw_leads"


def _names(fd: FieldDef) -> set[str]:
    return {fold(fd.label_vi), fold(fd.label_en), fold(fd.key), fold(fd.key.removeprefix("cf_"))}


def auto_mapping(session: Session, headers: list[str]) -> dict[str, str]:
    """Headers equal to a field's Vietnamese label, key or English label (ignoring case,
    accents and surrounding spaces) → that field; then the other headers by the synonyms shared
    with the channels' field recognition ("SĐT", "Số ĐT", "Tỉnh thành", "Họ và tên" → the full
    name split into Họ + Tên, ...). Each field is taken by its first header; a full name and
    Họ/Tên columns exclude each other."""
    fields = importable_fields(session)
    lookup: dict[str, str] = {}
    for fd in fields:
        for name in _names(fd):
            lookup.setdefault(name, fd.key)
    known = {fd.key for fd in fields} | {FULL_NAME}
    out: dict[str, str] = {}
    taken: set[str] = set()

    def take(header: str, key: str | None) -> None:
        if not key or key not in known or key in taken or header in out:
            return
        if (key == FULL_NAME and taken & set(NAME_PARTS)) or (key in NAME_PARTS and FULL_NAME in taken):
            return
        out[header] = key
        taken.add(key)

    for header in headers:
        take(header, lookup.get(fold(header)))
    for header in headers:
        take(header, field_key_for(header))
    return {h: out[h] for h in headers if h in out}


def resolve_field(session: Session, name: str) -> str:
    """A field key from a key or a Vietnamese/English label (CLI --dedup)."""
    wanted = fold(name)
    for fd in importable_fields(session):
        if wanted in _names(fd):
            return fd.key
    raise UserError("import.unknown_field", name=name)


def save_mapping(session: Session, actor: Actor, name: str, mapping: dict[str, str]) -> SavedMapping:
    name = name.strip()
    if not name:
        raise UserError("import.mapping.name_required")
    row = session.exec(select(SavedMapping).where(SavedMapping.module == MODULE,
                                                  SavedMapping.name == name)).first()
    if row is None:
        row = SavedMapping(module=MODULE, name=name, owner_id=actor.id)
    row.mapping = dict(mapping)
    session.add(row)
    session.flush()
    return row


def list_mappings(session: Session) -> list[SavedMapping]:
    return list(session.exec(select(SavedMapping).where(SavedMapping.module == MODULE)
                             .order_by(SavedMapping.name)))


def load_mapping(session: Session, name: str) -> dict[str, str]:
    row = session.exec(select(SavedMapping).where(SavedMapping.module == MODULE,
                                                  SavedMapping.name == name.strip())).first()
    if row is None:
        raise UserError("import.mapping.not_found", name=name)
    return dict(row.mapping)
