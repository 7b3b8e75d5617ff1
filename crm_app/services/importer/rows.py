"""Turning one spreadsheet row into raw-lead column values, by the guide's row rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from crm_app.fields import SECTION_CONTACT, UNKNOWN, FieldDef, raw_lead_fields
from crm_app.i18n import t
from crm_app.models import RawLead
from crm_app.services import field_values
from crm_app.services.field_synonyms import FULL_NAME, split_full_name
from crm_app.services.importer.reader import cell_text
from crm_app.services.phones import display_phone, split_phones

# How a value that does not parse is handled: a date or a website is left out with a warning
# (the row is still imported, DESIGN §4 row rules), anything else fails the row.
WARN_ONLY = frozenset({"date", "partial_date", "url"})
_MESSAGES = {"date": "import.row.bad_date", "partial_date": "import.row.partial_date"}


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PHONE_PUNCTUATION = str.maketrans("", "", " .-()/")


def _repaired_phone(text: str, value: str) -> bool:
    """Whether the number needed more than separators dropped: e.g. 912345678, a mobile whose
    leading 0 Excel removed when the column was stored as numbers."""
    digits = text.translate(_PHONE_PUNCTUATION)
    if digits in (value, value[1:]):
        return False
    return not (value.startswith("+84") and digits == "0" + value[3:])


def importable_fields(session: Session) -> list[FieldDef]:
    return [f for f in raw_lead_fields(session) if f.importable]


# One column holding the whole name ("Họ và tên"), split into Họ + Tên the Vietnamese way: a
# mapping choice of its own, standing for both fields.
FULL_NAME_FIELD = FieldDef(FULL_NAME, "Họ và tên", "Full name", "full_name", SECTION_CONTACT, required=True)
NAME_PARTS = ("last_name", "first_name")
OTHER_PHONE = {"mobile": "phone", "phone": "mobile"}


def mapping_fields(session: Session) -> list[FieldDef]:
    """What a column can be mapped to: the importable fields and the full name."""
    return [*importable_fields(session), FULL_NAME_FIELD]


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
    # The labels of Di động and Điện thoại where importable: a cell holding two numbers keeps the
    # first and moves the next into the other field when this row leaves that one empty.
    phone_labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        lengths = column_lengths()
        # Per mapped column: (index, field, parser or None for text, VARCHAR limit or 0), so the
        # row loop does no lookups.
        self.plan = [(i, f, None if f.key == FULL_NAME else field_values.parser_for(f),
                      0 if f.custom else lengths.get(f.key, 0)) for i, f in self.columns]
        self.name_limits = (lengths.get("last_name", 0), lengths.get("first_name", 0))

    @classmethod
    def load(cls, session: Session, mapping: dict[int, str], *, reject_unknown_picklist: bool
             ) -> RowContext:
        fields = {f.key: f for f in mapping_fields(session)}
        columns = [(index, fields[key]) for index, key in sorted(mapping.items()) if key in fields]
        lookups = field_values.Lookups(session)
        for f in fields.values():  # loaded now: the rows are converted without the session
            if f.type == "picklist":
                lookups.choices(f.key)
        lookups.user_id("")
        lookups.session = None
        return cls(columns=columns, lookups=lookups, reject_unknown_picklist=reject_unknown_picklist,
                   phone_labels={k: fields[k].label_vi for k in OTHER_PHONE if k in fields})


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
    several: list[tuple[FieldDef, str, list[str]]] = []  # phone cells holding more than one number
    width = len(values)
    lookups = ctx.lookups
    for index, fd, parser, limit in ctx.plan:
        raw = values[index] if index < width else ""
        text = raw.strip() if type(raw) is str else cell_text(raw)
        if not text.isprintable() and _CONTROL.search(text):
            # NUL and other control characters (Excel's _x0000_): PostgreSQL refuses NUL in text,
            # so they are dropped on every database alike (tabs and line breaks stay).
            text = _CONTROL.sub("", text).strip()
        if not text:
            if fd.required and fd.type != "user":
                errors.append(t("import.row.required", field=fd.label_vi))
            continue
        value: Any = text
        if fd.key == FULL_NAME:
            for key, part, most in zip(NAME_PARTS, split_full_name(text), ctx.name_limits, strict=True):
                if most and len(part) > most:
                    errors.append(t("import.row.too_long", field=fd.label_vi, limit=most))
                elif part:
                    out[key] = part
            continue
        if parser is not None:
            try:
                value = parser(text, raw, fd, lookups)
            except field_values.BadValue as bad:
                numbers = split_phones(text) if bad.code == "phone" else []
                if numbers:
                    several.append((fd, text, numbers))
                    value = numbers[0]
                elif bad.code == "picklist" and not ctx.reject_unknown_picklist:
                    warnings.append(t("import.row.picklist_unknown", field=fd.label_vi, value=text, unknown=UNKNOWN))
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
            if (fd.type == "phone" and type(value) is str and _repaired_phone(text, value)
                    and not (several and several[-1][0] is fd)):  # a split cell has its own warning
                warnings.append(t("import.row.phone_repaired", field=fd.label_vi, value=text,
                                  fixed=display_phone(value)))
        if fd.custom:
            custom[fd.key.removeprefix("cf_")] = value
            continue
        if limit and type(value) is str and len(value) > limit:
            errors.append(t("import.row.too_long", field=fd.label_vi, limit=limit))
            continue
        out[fd.key] = value
    for fd, text, numbers in several:
        _spread_numbers(ctx, out, fd, text, numbers, warnings)
    if custom:
        out["custom"] = custom
    return ConvertedRow(values=out, warnings=warnings, error="; ".join(errors) or None)


def _spread_numbers(ctx: RowContext, out: dict[str, Any], fd: FieldDef, text: str, numbers: list[str],
                    warnings: list[str]) -> None:
    """A phone cell holding several numbers ("0912345678 - 0987654321"): the first stays in its
    field, the second goes into the other phone field when this row leaves it empty, and the
    warning says where each went, so no number is lost without a word."""
    shown = [display_phone(n) for n in numbers]
    other = OTHER_PHONE.get(fd.key, "")
    moved = ""
    if len(numbers) > 1 and other in ctx.phone_labels and other not in out:
        out[other] = numbers[1]
        moved = t("import.row.phones_moved", number=shown[1], other=ctx.phone_labels[other])
    dropped = shown[2 if moved else 1:]
    warnings.append(t("import.row.phones_split", field=fd.label_vi, value=text, kept=shown[0], moved=moved,
                      dropped=t("import.row.phones_dropped", numbers=", ".join(dropped)) if dropped else ""))
