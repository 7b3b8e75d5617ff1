"""Cells written back to users in .xlsx files: safe against formula injection and
openpyxl's limits (DESIGN §6)."""

from __future__ import annotations

import re
from typing import Any

MAX_CELL = 32_767
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: Any) -> Any:
    """Numbers and dates pass; text that a spreadsheet would run becomes inert text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if not isinstance(value, str):
        value = str(value)
    value = _CONTROL.sub("\ufffd", value)
    if value.startswith(_FORMULA_START):
        # A leading apostrophe-like marker is not kept by openpyxl; a visible quote is.
        value = "'" + value
    if len(value) > MAX_CELL:
        value = value[: MAX_CELL - 1] + "…"
    return value
