"""Field values: the one parser per field type, for every way a value comes in.

The form (`raw_leads.validation.validate`), the import (`importer.rows`), the channels (`sync_rules`) and the
REST API (`api_intake`, through `raw_leads.validation.validate`) all call `parse`, so the same text becomes the
same stored value whichever way it arrived. Callers differ only in what they do with a value that
does not parse (`BadValue`): the form shows the message, the import fails the row or warns, the
channels and the API keep the text in the description.

Stored forms: phones E.164 (+84…), emails as written, dates `datetime.date` in their column and
ISO `YYYY-MM-DD` text in `custom`, numbers as written (digits, one `.` or `,`), websites with
their scheme (`hoasen.vn` → `https://hoasen.vn`), picklist values as the admin spelled them,
users as their id.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from sqlmodel import Session, select

from crm_app.fields import FieldDef, picklist_values
from crm_app.models import User
from crm_app.services import clock
from crm_app.services.phones import normalise_phone
from crm_app.services.text import fold

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Day first (the guide's dd-mm-yyyy, dd/mm/yyyy, and dd.mm.yyyy) or year first (ISO and 2024/05/06).
_DMY_RE = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_YMD_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_PARTIAL_DATE_RE = re.compile(r"^\d{1,4}$")
# Digits with at most one decimal separator: "nan", "inf", "1e5" and "1_000" are not numbers here.
_NUMBER_RE = re.compile(r"^-?\d+(?:[.,]\d+)?$")
# A host name with a dot (or localhost-free), optional port and path; the scheme is added if absent.
_URL_RE = re.compile(r"^(?:https?://)?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)"
                     r"(?::\d{1,5})?(?:[/?#]\S*)?$", re.IGNORECASE)
_SCHEME_RE = re.compile(r"^https?://", re.IGNORECASE)
EARLIEST_BIRTHDAY = dt.date(1900, 1, 1)

# Fast path for the usual Vietnamese mobile spellings, checked against phonenumbers' own VN
# patterns (general and mobile), so it accepts only numbers normalise_phone accepts, with the
# same result; anything else goes through normalise_phone. ~50x faster on 100k-row files.
_SIMPLE_PHONE = re.compile(r"^(?:\+?84|0)?([0-9]{9})$")
_VN = phonenumbers.PhoneMetadata.metadata_for_region("VN")
_VN_GENERAL = re.compile(_VN.general_desc.national_number_pattern or "")  # type: ignore[union-attr]
_VN_MOBILE = re.compile(_VN.mobile.national_number_pattern or "")  # type: ignore[union-attr]
_PHONE_SEPARATORS = str.maketrans("", "", " .-")


class BadValue(ValueError):
    """A value that does not parse for its field; `code` names the rule (phone, email, date,
    partial_date, number, url, picklist, user), which callers turn into their own message."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# ---------------------------------------------------------------- one function per type

def parse_phone(raw: object) -> str | None:
    """E.164 for a valid number (also one a spreadsheet stored as a number), else None."""
    if type(raw) is str:
        m = _SIMPLE_PHONE.match(raw.translate(_PHONE_SEPARATORS))
        if m and _VN_GENERAL.fullmatch(m[1]) and _VN_MOBILE.fullmatch(m[1]):
            return "+84" + m[1]
    return normalise_phone(raw)


def is_email(text: str) -> bool:
    return bool(_EMAIL_RE.match(text.strip())) and len(text) <= 254


def parse_date(value: object) -> dt.date | None:
    """A date object (an Excel date cell) or text: dd-mm-yyyy, dd/mm/yyyy, dd.mm.yyyy, or year
    first yyyy-mm-dd, yyyy/mm/dd, yyyy.mm.dd; None if it is none of these or no such day."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if m := _DMY_RE.match(text):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    elif m := _YMD_RE.match(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def format_date(value: dt.date | dt.datetime | None) -> str:
    """A date as shown on screen and in files: dd/mm/yyyy."""
    return value.strftime("%d/%m/%Y") if value else ""


def is_number(text: str) -> bool:
    return bool(_NUMBER_RE.match(text))


def parse_url(text: str) -> str | None:
    """A website with its scheme: "hoasen.vn" → "https://hoasen.vn"; None if it is not one."""
    text = text.strip()
    if len(text) > 2000 or not _URL_RE.match(text):
        return None
    return text if _SCHEME_RE.match(text) else "https://" + text


def match_picklist(choices: dict[str, str], text: str) -> str | None:
    """The admin's spelling of a value typed in any case or without accents, else None."""
    return choices.get(text) or choices.get(fold(text))


def picklist_choices(values: list[str]) -> dict[str, str]:
    """{typed form → stored value} for `match_picklist`: exact and folded spellings."""
    return {**{fold(v): v for v in values}, **{v: v for v in values}}


# ---------------------------------------------------------------- lookups and dispatch

@dataclass
class Lookups:
    """Picklist values and active users, read from the session on first use and kept: an import
    loads them once for every row, a form once per save."""

    session: Session | None = None
    picklists: dict[str, dict[str, str]] = field(default_factory=dict)
    users: dict[str, int] | None = None  # username (lower case) → id
    user_ids: set[int] = field(default_factory=set)
    local_today: dt.date | None = None

    def today(self) -> dt.date:
        """Today in the organisation's zone (a birthday cannot be later), whatever the server's TZ."""
        if self.local_today is None:
            tz = clock.zone(self.session) if self.session is not None else clock.default_zone()
            self.local_today = clock.today(tz)
        return self.local_today

    def choices(self, key: str) -> dict[str, str]:
        found = self.picklists.get(key)
        if found is None:
            assert self.session is not None
            found = self.picklists[key] = picklist_choices(picklist_values(self.session, key))
        return found

    def user_id(self, text: str) -> int | None:
        """An active user by username (any case) or by id."""
        if self.users is None:
            assert self.session is not None
            rows = self.session.exec(select(User.username, User.id).where(User.is_active == True))  # noqa: E712
            self.users = {name.lower(): uid for name, uid in rows if uid is not None}
            self.user_ids = set(self.users.values())
        found = self.users.get(text.lower())
        if found is None and text.isdigit() and len(text) <= 9 and int(text) in self.user_ids:
            return int(text)
        return found


def _text(text: str, raw: object, fd: FieldDef, lookups: Lookups) -> str:
    return text


def _phone(text: str, raw: object, fd: FieldDef, lookups: Lookups) -> str:
    # A spreadsheet's number cell (the leading zero lost) is read as the number it is.
    phone = parse_phone(text if type(raw) is str else raw)
    if phone is None:
        raise BadValue("phone")
    return phone


def _email(text: str, raw: object, fd: FieldDef, lookups: Lookups) -> str:
    if not is_email(text):
        raise BadValue("email")
    return text


def _date(text: str, raw: object, fd: FieldDef, lookups: Lookups) -> dt.date | str:
    parsed = parse_date(raw if isinstance(raw, dt.date) else text)
    if parsed is None:
        raise BadValue("partial_date" if _PARTIAL_DATE_RE.match(text) else "date")
    if fd.key == "birthday" and not EARLIEST_BIRTHDAY <= parsed <= lookups.today():
        raise BadValue("date")
    # `custom` is JSON: ISO text sorts and compares like the date (the list's "between" filter).
    return parsed.isoformat() if fd.custom else parsed


def _number(text: str, raw: object, fd: FieldDef, lookups: Lookups) -> str:
    if not _NUMBER_RE.match(text):
        raise BadValue("number")
    return text


def _url(text: str, raw: object, fd: FieldDef, lookups: Lookups) -> str:
    url = parse_url(text)
    if url is None:
        raise BadValue("url")
    return url


def _picklist(text: str, raw: object, fd: FieldDef, lookups: Lookups) -> str:
    found = match_picklist(lookups.choices(fd.key), text)
    if found is None:
        raise BadValue("picklist")
    return found


def _user(text: str, raw: object, fd: FieldDef, lookups: Lookups) -> int:
    found = lookups.user_id(text)
    if found is None:
        raise BadValue("user")
    return found


Parser = Callable[[str, object, FieldDef, Lookups], Any]
PARSERS: dict[str, Parser] = {
    "text": _text, "longtext": _text, "phone": _phone, "email": _email, "date": _date,
    "number": _number, "url": _url, "picklist": _picklist, "user": _user,
}


def parser_for(fd: FieldDef) -> Parser | None:
    """The field's parser, None for plain text (stored as written: the import's fast path)."""
    found = PARSERS.get(fd.type, _text)
    return None if found is _text else found


def parse(fd: FieldDef, value: object, lookups: Lookups) -> Any:
    """The stored value of `value` (text, or a spreadsheet's number or date cell) for the field
    `fd`; None for an empty value. Raises BadValue when it does not parse."""
    if value is None:
        return None
    if type(value) is str:
        text = value.strip()
    elif isinstance(value, dt.date):
        text = format_date(value)
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value).strip()
    if not text:
        return None
    return PARSERS.get(fd.type, _text)(text, value, fd, lookups)


def display(fd: FieldDef | None, value: Any) -> str:
    """A stored custom value as shown: dates dd/mm/yyyy, the rest as stored."""
    if value is None or value == "":
        return ""
    if fd is not None and fd.type == "date" and isinstance(value, str):
        parsed = parse_date(value)
        return format_date(parsed) if parsed else value
    return str(value)
