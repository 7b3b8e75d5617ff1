"""Status picklist values get a meaning: open, converted or closed.

"Open raw lead" (the dashboard's workload, least-open assignment, the list the dashboard opens)
is read from this column instead of a list of status names in each place, so a status an admin
adds is counted the same way everywhere. Built-in values are backfilled from the guide: Mới and
Đang chăm sóc are open, Đã chuyển đổi converted, Không tiềm năng closed; any other status value
already there (an admin's own, or Không xác định) stays open, as the dashboard counted it.
Other picklists keep NULL.

Revision ID: 0007_status_meaning
Revises: 0011_import_warnings
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_status_meaning"
down_revision: str | None = "0011_import_warnings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_VALUES = sa.table("picklist_values", sa.column("field_key", sa.String), sa.column("value", sa.String),
                   sa.column("meaning", sa.String))


def upgrade() -> None:
    with op.batch_alter_table("picklist_values") as batch_op:
        batch_op.add_column(sa.Column("meaning", sa.String(length=16), nullable=True))
    value = _VALUES.c.value
    op.execute(_VALUES.update().where(_VALUES.c.field_key == "status").values(
        meaning=sa.case((value == "Đã chuyển đổi", "converted"), (value == "Không tiềm năng", "closed"),
                        else_="open")))


def downgrade() -> None:
    with op.batch_alter_table("picklist_values") as batch_op:
        batch_op.drop_column("meaning")
