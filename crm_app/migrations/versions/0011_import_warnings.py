"""Import warnings: how many rows an import imported with a warning (a value dropped, a picklist
value turned into «Không xác định», a phone repaired) and the downloadable file of them.

Revision ID: 0011_import_warnings
Revises: 0008_channel_fields
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_import_warnings"
down_revision: str | None = "0008_channel_fields"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("import_jobs") as batch:
        batch.add_column(sa.Column("warned", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("warning_file", sa.String(length=512), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_jobs") as batch:
        batch.drop_column("warning_file")
        batch.drop_column("warned")
