"""Care after the lead arrives: activities (calls, notes, tasks), in-app notifications, merges of
duplicates, the list's care columns, and the meaning of a picklist value.

`raw_leads`/`leads`.`last_contacted_at` and `next_task_at` are kept by services/activities.py so the
list sorts and filters on them with an index; `merged_into` hides a record merged into another.
`picklist_values.meaning`: open / converted / closed for a raw lead's status, open / won / lost for a
Lead's stage. The new picklists (call outcomes, Lead stages) are seeded by ensure_reference_data.

Revision ID: 0010_care_activities
Revises: 0011_import_warnings
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010_care_activities"
down_revision: str | None = "0011_import_warnings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MEANINGS = {"Mới": "open", "Đang chăm sóc": "open", "Đã chuyển đổi": "converted", "Không tiềm năng": "closed"}


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, no constraint): SQLite needs no table copy, so the raw-lead
    # table's FTS triggers and expression indexes stay as they are.
    for table in ("raw_leads", "leads"):
        op.add_column(table, sa.Column("last_contacted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        op.add_column(table, sa.Column("next_task_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        op.add_column(table, sa.Column("merged_into", sa.String(length=32), nullable=True))
        op.create_index(f"ix_{table}_last_contacted_id", table, ["last_contacted_at", "id"])
        op.create_index(f"ix_{table}_next_task_id", table, ["next_task_at", "id"])
    op.add_column("picklist_values", sa.Column("meaning", sa.String(length=16), nullable=True))
    for value, meaning in _MEANINGS.items():
        op.execute(sa.text("UPDATE picklist_values SET meaning = :m WHERE field_key = 'status' AND value = :v")
                   .bindparams(m=meaning, v=value))
    op.create_table(
        "activities",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("outcome", sa.String(length=128), nullable=True),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("assigned_to_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("done_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("done_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("reminded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    )
    op.create_index("ix_activities_entity", "activities", ["entity", "entity_id", "created_at"])
    op.create_index("ix_activities_assignee_open", "activities", ["assigned_to_id", "done_at", "due_at"])
    op.create_index("ix_activities_due_open", "activities", ["done_at", "reminded_at", "due_at"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("message", sa.String(), nullable=False),
        sa.Column("link", sa.String(length=255), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=True, unique=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("read_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )
    op.create_index("ix_notifications_user_read", "notifications", ["user_id", "read_at"])
    op.create_table(
        "merges",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kept_entity", sa.String(length=16), nullable=False),
        sa.Column("kept_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("undone_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("undone_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
    )
    op.create_index("ix_merges_kept_id", "merges", ["kept_id"])


def downgrade() -> None:
    op.drop_index("ix_merges_kept_id", "merges")
    op.drop_table("merges")
    op.drop_index("ix_notifications_user_read", "notifications")
    op.drop_table("notifications")
    for name in ("ix_activities_due_open", "ix_activities_assignee_open", "ix_activities_entity"):
        op.drop_index(name, "activities")
    op.drop_table("activities")
    with op.batch_alter_table("picklist_values") as batch:
        batch.drop_column("meaning")
    for table in ("raw_leads", "leads"):
        op.drop_index(f"ix_{table}_next_task_id", table)
        op.drop_index(f"ix_{table}_last_contacted_id", table)
        for column in ("merged_into", "next_task_at", "last_contacted_at"):
            op.drop_column(table, column)
