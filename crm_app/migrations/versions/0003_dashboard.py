"""Dashboard: indexes on the Vietnam local day of arrival.

The dashboard filters and groups raw leads by their local day (Asia/Ho_Chi_Minh), then by
channel, owner and status. An index on that same expression, in that order, carrying every other
column the figures read, lets both databases answer from the index alone and aggregate without
sorting the period. The expressions must stay textually identical to
`crm_app.services.clock.local_day`, or the planners will not match them.

A second, partial index holds only converted raw leads (a minority) for the median
arrival→conversion time.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_DAY = "date(created_at, '+7 hours')"
# timezone(text, timestamptz) is immutable, so PostgreSQL accepts it in an index.
POSTGRES_DAY = "(CAST(timezone('Asia/Ho_Chi_Minh', created_at) AS DATE))"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # No INCLUDE in SQLite: covered columns are trailing key columns; created_at too, or SQLite
        # reads the table to evaluate the indexed expression.
        op.execute(f"CREATE INDEX ix_raw_leads_dashboard ON raw_leads ({SQLITE_DAY}, input_source, "
                   "assigned_to_id, status, converted_lead_id, created_at)")
        op.execute(f"CREATE INDEX ix_raw_leads_dashboard_converted ON raw_leads ({SQLITE_DAY}, input_source, "
                   "assigned_to_id, created_at, converted_lead_id) WHERE converted_lead_id IS NOT NULL")
    else:
        # created_at is included because PostgreSQL only plans an index-only scan over an
        # expression index when the expression's column is in the index too.
        op.execute(f"CREATE INDEX ix_raw_leads_dashboard ON raw_leads ({POSTGRES_DAY}, input_source, "
                   "assigned_to_id, status) INCLUDE (converted_lead_id, created_at)")
        op.execute(f"CREATE INDEX ix_raw_leads_dashboard_converted ON raw_leads ({POSTGRES_DAY}, input_source, "
                   "assigned_to_id) INCLUDE (created_at, converted_lead_id) WHERE converted_lead_id IS NOT NULL")


def downgrade() -> None:
    op.drop_index("ix_raw_leads_dashboard_converted", "raw_leads")
    op.drop_index("ix_raw_leads_dashboard", "raw_leads")
