"""Runs in a child process (as a script, no package imports): parse one visible sheet of an
.xlsx, .xls or .ods file (python-calamine reads all three).

Usage: parse_child.py SRC OUT [SHEET] (default: the first visible sheet). Writes records to OUT,
each its marshal length (8 bytes, little endian) then the marshal data: ("H", header_values,
start_row), then batches ("B", [(row_number, values), ...]) - tagged "D" when they hold dates,
which travel as tagged tuples because marshal knows no datetime - then ("E", rows); prints the
row count, then the visible sheets' names as a JSON list. Exit 3: no visible sheet; exit 4: no
visible sheet named SHEET. Any other failure exits non-zero; the parent reports "corrupt file"
whatever happened (DESIGN §6).
"""

from __future__ import annotations

import datetime as dt
import json
import marshal
import sys
from typing import BinaryIO

from python_calamine import CalamineWorkbook, SheetVisibleEnum

BATCH = 2000


def _plain(value: object) -> object:
    if isinstance(value, dt.datetime):
        return ("T", value.year, value.month, value.day, value.hour, value.minute, value.second)
    if isinstance(value, dt.date):
        return ("D", value.year, value.month, value.day)
    if isinstance(value, dt.time | dt.timedelta):
        return str(value)
    return value


def _write(record: tuple[object, ...], fh: BinaryIO) -> None:
    # Framed, so the parent reads each record whole and decodes it with marshal.loads: marshal.load
    # on a file makes a read call per object, 20x slower.
    data = marshal.dumps(record)
    fh.write(len(data).to_bytes(8, "little"))
    fh.write(data)


def _dump(batch: list[tuple[int, list[object]]], fh: BinaryIO) -> None:
    try:
        _write(("B", batch), fh)
    except ValueError:  # a date cell somewhere in the batch: convert, only then ("D": revive dates)
        _write(("D", [(n, [_plain(v) for v in values]) for n, values in batch]), fh)


def main(src: str, out: str, wanted: str | None = None) -> int:
    wb = CalamineWorkbook.from_path(src)
    visible = [m.name for m in wb.sheets_metadata if m.visible == SheetVisibleEnum.Visible]
    if not visible:
        return 3
    if wanted is not None and wanted not in visible:
        return 4
    sheet = wb.get_sheet_by_name(wanted if wanted is not None else visible[0])
    start = sheet.start or (0, 0)
    pad = [""] * start[1]
    rows = 0
    index = -1
    with open(out, "wb") as fh:
        batch: list[tuple[int, list[object]]] = []
        for index, row in enumerate(sheet.iter_rows()):
            if index == 0:
                _write(("H", pad + [_plain(v) for v in row], start[0] + 1), fh)
                continue
            if row.count("") == len(row):
                continue
            batch.append((start[0] + index + 1, pad + row if pad else row))
            rows += 1
            if len(batch) >= BATCH:
                _dump(batch, fh)
                batch = []
        if batch:
            _dump(batch, fh)
        if index < 0:  # an empty sheet: an empty header row, reported as such by the parent
            _write(("H", [], 1), fh)
        _write(("E", rows), fh)
    print(rows)
    print(json.dumps(visible))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None))
