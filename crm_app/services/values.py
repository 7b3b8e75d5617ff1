"""Parsing typed values from text the way Vietnamese users write them."""

from __future__ import annotations

import re
from datetime import date, datetime

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DMY_RE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_YMD_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_date(text: str) -> date | None:
    """dd-mm-yyyy, dd/mm/yyyy (the guide's formats) or ISO yyyy-mm-dd; None if impossible."""
    text = text.strip()
    if m := _DMY_RE.match(text):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    elif m := _YMD_RE.match(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def format_date(value: date | datetime | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def is_email(text: str) -> bool:
    return bool(_EMAIL_RE.match(text.strip())) and len(text) <= 254
