"""Drop ix_raw_leads_created_at: ix_raw_leads_created_id (created_at, id) serves every query it
served - the list's default order, the REST API's created_from/created_to, the dashboard's
arrivals today and ads breakdown - with the same plan on both databases (on SQLite an index on
(created_at) already ends with the rowid, which is id). One index fewer for every write
(tests/unit/test_index_audit.py holds each remaining raw_leads index to a query that uses it).

Revision ID: 0012_raw_leads_index_audit
Revises: 0010_care_activities
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_raw_leads_index_audit"
down_revision: str | None = "0010_care_activities"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_raw_leads_created_at", "raw_leads")


def downgrade() -> None:
    op.create_index("ix_raw_leads_created_at", "raw_leads", ["created_at"], unique=False)
