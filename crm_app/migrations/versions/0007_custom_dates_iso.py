"""Custom date fields stored as ISO YYYY-MM-DD text (the import stored dd/mm/yyyy, the REST API the
text as sent): one stored form, so that the list's date filter and sorting compare dates.

Data only; values that are not a date are left as they are. The downgrade keeps ISO (a valid
stored form for the older code too: its parser read ISO).

Revision ID: 0007_custom_dates_iso
Revises: 0006_api_tokens
"""

import re
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = "0007_custom_dates_iso"
down_revision: str | None = "0006_api_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The parser of this revision, frozen here: a migration must not change when the app's does.
_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_YMD = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
BATCH = 1000


def _iso(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    if m := _DMY.match(text):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    elif m := _YMD.match(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    else:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def upgrade() -> None:
    conn = op.get_bind()
    fields = sa.table("custom_fields", sa.column("key", sa.String), sa.column("field_type", sa.String))
    keys = [k for (k,) in conn.execute(sa.select(fields.c.key).where(fields.c.field_type == "date"))]
    if not keys:
        return
    for name in ("raw_leads", "leads"):
        records = sa.table(name, sa.column("id", sa.Integer), sa.column("custom", sa.JSON))
        last = 0
        while True:
            rows = conn.execute(sa.select(records.c.id, records.c.custom).where(records.c.id > last)
                                .order_by(records.c.id).limit(BATCH)).all()
            if not rows:
                break
            last = rows[-1][0]
            for record_id, custom in rows:
                if not isinstance(custom, dict):
                    continue
                changed = {k: iso for k in keys if (iso := _iso(custom.get(k))) and iso != custom.get(k)}
                if changed:
                    conn.execute(sa.update(records).where(records.c.id == record_id)
                                 .values(custom={**custom, **changed}))


def downgrade() -> None:
    pass
