"""Receiving an uploaded import file (the wizard's first step), without a browser."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from crm_app.i18n import UserError
from crm_app.services.importer import upload
from tests.fixtures.importer import data_dir
from tests.statekit import run_async

__all__ = ["data_dir"]


@dataclass
class Chunk:
    filename: str
    data: bytes


async def chunks(name: str, *parts: bytes) -> AsyncIterator[Chunk]:
    for part in parts:
        yield Chunk(name, part)


def stored(directory: Path) -> list[Path]:
    return sorted(directory.iterdir()) if directory.exists() else []


def test_a_csv_is_stored_privately_under_a_generated_name(data_dir: Path) -> None:
    received = run_async(upload.receive(chunks("../../Khách tháng 5.CSV", b"Ho,Ten\n", b"Le,An\n")))
    assert received.name == "Khách tháng 5.CSV"
    assert received.path.parent == data_dir / "private" / "imports" / "incoming"
    assert received.path.suffix == ".csv" and "Khách" not in received.path.name
    assert received.path.read_bytes() == b"Ho,Ten\nLe,An\n"


def test_a_file_over_the_limit_is_drained_and_not_kept(data_dir: Path) -> None:
    consumed = []

    async def tracked() -> AsyncIterator[Chunk]:
        for i in range(5):
            consumed.append(i)
            yield Chunk("big.xlsx", b"x" * 1000)

    with pytest.raises(UserError) as caught:
        run_async(upload.receive(tracked(), limit_bytes=2500))
    assert caught.value.key == "wizard.too_big" and consumed == [0, 1, 2, 3, 4]  # the request completes
    assert stored(data_dir / "private" / "imports" / "incoming") == []


def test_another_file_type_is_refused_and_not_kept(data_dir: Path) -> None:
    with pytest.raises(UserError) as caught:
        run_async(upload.receive(chunks("virus.exe", b"MZ")))
    assert caught.value.key == "wizard.file_type"
    assert stored(data_dir / "private" / "imports" / "incoming") == []
