"""Receiving an uploaded import file: streamed to a private directory under a generated name.

Personal data never lands in a public upload directory, a file over the size limit is not kept
(its remaining chunks are drained, so the request completes, but not stored) and only spreadsheet
and CSV files are accepted. The caller (the wizard) hands over the chunks as they arrive.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from crm_app.i18n import UserError
from crm_app.settings import get_settings

# Excel (.xlsx, 97-2003 .xls), OpenDocument, and CSV text (Excel's "Unicode text" saves .txt).
ACCEPTED_SUFFIXES = (".xlsx", ".xls", ".ods", ".csv", ".txt", ".tsv")


class Chunk(Protocol):
    """One piece of an upload: the browser's file name and some bytes."""

    @property
    def filename(self) -> str: ...

    @property
    def data(self) -> bytes: ...


@dataclass(frozen=True)
class ReceivedFile:
    path: Path  # the stored file, under the private upload directory
    name: str  # the name the user's file had (for the screen and the job), at most 255 characters


def incoming_dir() -> Path:
    path = get_settings().private_upload_dir / "incoming"
    path.mkdir(parents=True, exist_ok=True)
    return path


async def receive(chunks: AsyncIterable[Chunk], *, limit_bytes: int | None = None) -> ReceivedFile:
    """Stream the chunks to a new private file; UserError (wizard.too_big, wizard.file_type) when
    the file cannot be imported, and then nothing is kept."""
    limit = limit_bytes if limit_bytes is not None else get_settings().upload_limit_mb * 1024 * 1024
    target = incoming_dir() / f"{secrets.token_hex(16)}.part"
    name, size, too_big = "", 0, False
    try:
        with target.open("wb") as out:
            async for chunk in chunks:
                name = name or chunk.filename
                size += len(chunk.data)
                too_big = too_big or size > limit
                if not too_big:  # keep draining so the request completes, but store nothing more
                    out.write(chunk.data)
        suffix = Path(name).suffix.lower()
        if too_big:
            raise UserError("wizard.too_big", limit=limit // (1024 * 1024))
        if suffix not in ACCEPTED_SUFFIXES:
            raise UserError("wizard.file_type")
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    final = target.with_suffix(suffix)
    target.rename(final)
    return ReceivedFile(path=final, name=Path(name).name[:255])
