"""Turning one spreadsheet row into raw-lead column values, by the guide's row rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from crm_app.fields import UNKNOWN, FieldDef, raw_lead_fields
from crm_app.i18n import t
from crm_app.models import RawLead
from crm_app.services import field_values
from crm_app.services.importer.reader import cell_text

# How a value that does not parse is handled: a date or a website is left out with a warning
# (the row is still imported, DESIGN §4 row rules), anything else fails the row.
WARN_ONLY = frozenset({"date", "partial_date", "url"})
_MESSAGES = {"date": "import.row.bad_date", "partial_date": "import.row.partial_date"}


def importable_fields(session: Session) -> list[FieldDef]:
    return [f for f in raw_lead_fields(session) if f.importable]


def column_lengths() -> dict[str, int]:
    """VARCHAR limits of raw_leads: PostgreSQL enforces them, so rows are checked first."""
    return {c.name: length for c in RawLead.__table__.columns  # type: ignore[attr-defined]
            if (length := getattr(c.type, "length", None))}


@dataclass
class RowContext:
    """Everything row conversion needs, loaded once per import."""

    columns: list[tuple[int, FieldDef]]  # file column index → field
    lookups: field_values.Lookups  # picklists and users, loaded once
    reject_unknown_picklist: bool

    def __post_init__(self) -> None:
        lengths = column_lengths()
        # Per mapped column: (index, field, parser or None for text, VARCHAR limit or 0), so the
        # row loop does no lookups.
        self.plan = [(i, f, field_values.parser_for(f), 0 if f.custom else lengths.get(f.key, 0))
                     for i, f in self.columns]

    @classmethod
    def load(cls, session: Session, mapping: dict[int, str], *, reject_unknown_picklist: bool
             ) -> RowContext:
        fields = {f.key: f for f in importable_fields(session)}
        columns = [(index, fields[key]) for index, key in sorted(mapping.items()) if key in fields]
        lookups = field_values.Lookups(session)
        for f in fields.values():  # loaded now: the rows are converted without the session
            if f.type == "picklist":
                lookups.choices(f.key)
        lookups.user_id("")
        lookups.session = None
        return cls(columns=columns, lookups=lookups, reject_unknown_picklist=reject_unknown_picklist)


@dataclass
class ConvertedRow:
    # raw_leads columns (assigned_to_id, not assigned_to; absent when Giao cho is empty, so a
    # new record gets the importing user and an update keeps its assignee); custom under "custom"
    values: dict[str, Any]
    warnings: list[str]
    error: str | None


def convert(ctx: RowContext, values: list[object]) -> ConvertedRow:
    out: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    warnings: list[str] = []
    errors: list[str] = []
    width = len(values)
    lookups = ctx.lookups
    for index, fd, parser, limit in ctx.plan:
        raw = values[index] if index < width else ""
        text = raw.strip() if type(raw) is str else cell_text(raw)
        if not text:
            if fd.required and fd.type != "user":
                errors.append(t("import.row.required", field=fd.label_vi))
            continue
        value: Any = text
        if parser is not None:
            try:
                value = parser(text, raw, fd, lookups)
            except field_values.BadValue as bad:
                if bad.code == "picklist" and not ctx.reject_unknown_picklist:
                    value = UNKNOWN
                elif bad.code in WARN_ONLY:
                    warnings.append(t(_MESSAGES.get(bad.code, f"import.row.{bad.code}"),
                                      field=fd.label_vi, value=text))
                    continue
                else:
                    errors.append(t(f"import.row.{bad.code}", field=fd.label_vi, value=text))
                    continue
            if fd.type == "user":
                out["assigned_to_id"] = value
                continue
        if fd.custom:
            custom[fd.key.removeprefix("cf_")] = value
            continue
        if limit and type(value) is str and len(value) > limit:
            errors.append(t("import.row.too_long", field=fd.label_vi, limit=limit))
            continue
        out[fd.key] = value
    if custom:
        out["custom"] = custom
    return ConvertedRow(values=out, warnings=warnings, error="; ".join(errors) or None)
