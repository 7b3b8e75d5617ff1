"""Accent- and case-insensitive text keys ("Nguyễn Văn A" ~ "nguyen van a")."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import lru_cache

_TRANSLATE = str.maketrans({"đ": "d", "Đ": "d"})


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case, without Vietnamese accents, with runs of space collapsed."""
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
