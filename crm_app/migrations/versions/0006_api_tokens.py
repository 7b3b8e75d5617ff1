"""REST API: admin-managed API tokens, the Idempotency-Key store, and the "API" input source.

Revision ID: 0006_api_tokens
Revises: 0006_task_queue
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006_api_tokens"
down_revision: str | None = "0006_task_queue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False, unique=True),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("can_write", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("last_used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_table(
        "api_idempotency_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("principal", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.UniqueConstraint("principal", "key"),
    )
    op.create_index("ix_api_idempotency_keys_created_at", "api_idempotency_keys", ["created_at"])
    # Installations seeded before this release have an input-source picklist without "API"
    # (new ones get it from the defaults): add it after the last value, before "Không xác định".
    op.execute(sa.text(
        "INSERT INTO picklist_values (field_key, value, position, is_active) "
        "SELECT 'input_source', 'API', COALESCE(MAX(position), 0) + 1, :active FROM picklist_values "
        "WHERE field_key = 'input_source' AND value <> 'Không xác định' "
        "HAVING COUNT(*) > 0 AND SUM(CASE WHEN value = 'API' THEN 1 ELSE 0 END) = 0"
    ).bindparams(active=True))


def downgrade() -> None:
    op.drop_index("ix_api_idempotency_keys_created_at", "api_idempotency_keys")
    op.drop_table("api_idempotency_keys")
    op.drop_index("ix_api_tokens_user_id", "api_tokens")
    op.drop_table("api_tokens")
