"""Zalo OA connection: OAuth tokens in the database (encrypted), refreshed by the app.

Revision ID: 0009_zalo_connection
Revises: 0007_custom_dates_iso
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009_zalo_connection"
down_revision: str | None = "0007_custom_dates_iso"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    dt = sqlmodel.sql.sqltypes.UTCDateTime
    op.create_table(
        "zalo_connections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("app_id", sa.String(length=32), nullable=False),
        sa.Column("oa_id", sa.String(length=32), nullable=False),
        sa.Column("oa_name", sa.String(length=255), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=False),
        sa.Column("access_expires_at", dt(), nullable=True),
        sa.Column("refresh_expires_at", dt(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("connected_at", dt(), nullable=True),
        sa.Column("connected_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("last_refresh_at", dt(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("last_error_at", dt(), nullable=True),
        sa.Column("refresh_lease_until", dt(), nullable=True),
        sa.Column("refresh_holder", sa.String(length=64), nullable=False),
        sa.Column("pending_state_hash", sa.String(length=64), nullable=False),
        sa.Column("pending_verifier", sa.Text(), nullable=False),
        sa.Column("pending_user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("pending_at", dt(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("zalo_connections")
