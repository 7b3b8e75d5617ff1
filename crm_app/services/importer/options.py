"""What an import is asked to do (`ImportOptions`), what it did (`ImportResult`), and the check
that options fit the file and the field registry."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlmodel import Session

from crm_app.i18n import UserError
from crm_app.services.field_synonyms import FULL_NAME
from crm_app.services.importer.rows import NAME_PARTS, mapping_fields

ACTIONS = ("skip", "overwrite", "merge")


@dataclass
class ImportOptions:
    mapping: dict[str, str]  # file header → field key
    dedup_fields: list[str] = field(default_factory=list)
    on_duplicate: str | None = "skip"  # skip | overwrite | merge | None (no duplicate check)
    unknown_picklist: str = "unknown"  # unknown | reject
    auto_map: bool = False  # also map, when the file is read, headers named like a field (CLI)
    sheet: str | None = None  # the workbook's sheet to import (None: the first visible one)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportOptions:
        return cls(mapping=dict(data.get("mapping") or {}), dedup_fields=list(data.get("dedup_fields") or []),
                   on_duplicate=data.get("on_duplicate"), unknown_picklist=data.get("unknown_picklist", "unknown"),
                   auto_map=bool(data.get("auto_map")), sheet=data.get("sheet"))

    @property
    def checks_duplicates(self) -> bool:
        return bool(self.dedup_fields) and self.on_duplicate is not None


@dataclass
class ImportResult:
    """Counts of a run (or what a dry run would do) and the first reasons rows failed."""

    total: int = 0
    created: int = 0
    overwritten: int = 0
    skipped: int = 0
    merged: int = 0
    failed: int = 0
    warned: int = 0  # rows imported with a warning
    skipped_file: str | None = None
    failed_file: str | None = None
    warning_file: str | None = None
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    job_id: int | None = None
    status: str = ""

    def as_cli_json(self) -> dict[str, Any]:
        keys = ("total", "created", "overwritten", "skipped", "merged", "failed", "warned", "skipped_file",
                "failed_file", "warning_file")
        return {k: getattr(self, k) for k in keys}


def validate_options(session: Session, headers: list[str], options: ImportOptions) -> None:
    fields = {f.key: f for f in mapping_fields(session)}
    unknown_headers = [h for h in options.mapping if h not in headers]
    if unknown_headers:
        raise UserError("import.options.header_missing", headers=", ".join(unknown_headers))
    keys = [k for k in options.mapping.values() if k]
    bad = [k for k in keys if k not in fields]
    if bad:
        raise UserError("import.unknown_field", name=", ".join(bad))
    twice = sorted({fields[k].label_vi for k in keys if keys.count(k) > 1})
    if twice:
        raise UserError("import.options.mapped_twice", fields=", ".join(twice))
    if FULL_NAME in keys and (parts := [fields[k].label_vi for k in NAME_PARTS if k in keys]):
        raise UserError("import.options.full_name_and_parts", fields=", ".join(parts))
    if FULL_NAME in keys:
        keys += list(NAME_PARTS)  # the full name fills both: dedup on Tên is possible
    if "first_name" not in keys:
        raise UserError("import.options.required_unmapped", field=fields["first_name"].label_vi)
    if options.on_duplicate not in (*ACTIONS, None):
        raise UserError("import.options.bad_action")
    if options.unknown_picklist not in ("unknown", "reject"):
        raise UserError("import.options.bad_picklist")
    for key in options.dedup_fields:
        if key not in fields or key == FULL_NAME:
            raise UserError("import.unknown_field", name=key)
        if key not in keys:
            raise UserError("import.options.dedup_unmapped", field=fields[key].label_vi)
