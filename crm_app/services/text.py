"""Accent- and case-insensitive text keys ("Nguyễn Văn A" ~ "nguyen van a")."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

_TRANSLATE = str.maketrans({"đ": "d", "Đ": "d"})


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case, without Vietnamese accents, with runs of space collapsed."""
    if text.isascii():  # nothing to strip (emails, phones, most company names): no decomposition
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFD", text.translate(_TRANSLATE))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.lower().split())


def search_text(parts: Iterable[str | None]) -> str:
    """The stored quick-search key: folded words plus phones in both spellings."""
    out: list[str] = []
    for part in parts:
        if not part:
            continue
        out.append(fold(part))
        if part.startswith("+84"):
            out.append("0" + part[3:])
    return " | ".join(out)[:1024]


# The contact fields the quick search looks in (the list's search box, DESIGN §3).
SEARCH_FIELDS = ("last_name", "first_name", "mobile", "phone", "email", "company")


def email_key(email: str | None) -> str | None:
    """The email as matched for duplicates (lower case)."""
    return email.lower() if email else None


def search_key(values: Mapping[str, Any]) -> str:
    """The quick-search key of a raw lead or lead from its contact values: the one definition the
    form, the import, the channels and the demo data all store."""
    get = values.get
    return search_text((f"{get('last_name') or ''} {get('first_name') or ''}", get("mobile"), get("phone"),
                        get("email"), get("company")))


def derived_keys(values: Mapping[str, Any]) -> dict[str, Any]:
    """{"email_key", "search_text"} for these contact values."""
    return {"email_key": email_key(values.get("email")), "search_text": search_key(values)}
