"""Channel events: the form key in a column of its own.

A form submission's event key used to be "<form key>:<idempotency key or digest>". The form key
moves to `form_key` ("" for the other channels: a NULL would let the unique key below accept the
same event twice on both databases), and the unique key becomes (channel, form_key, event_key).
No other index: nothing filters on the form key alone.

Revision ID: 0005_channel_event_form_key
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_channel_event_form_key"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 0001 left the old unique key unnamed: this names it on SQLite's reflected copy so the batch can
# drop it (PostgreSQL named it channel_events_channel_event_key_key itself).
_NAMING = {"uq": "%(table_name)s_%(column_0_name)s_%(column_1_name)s_key"}
OLD_UNIQUE = "channel_events_channel_event_key_key"
NEW_UNIQUE = "uq_channel_events_key"


_EVENTS = sa.table("channel_events", sa.column("channel", sa.String), sa.column("form_key", sa.String),
                   sa.column("event_key", sa.String))


def _colon(column: sa.ColumnClause[str]) -> sa.ColumnElement[int]:
    """1-based position of the first ':' in `column` (0 when there is none)."""
    find = sa.func.instr if op.get_bind().dialect.name == "sqlite" else sa.func.strpos
    return find(column, ":", type_=sa.Integer)


def upgrade() -> None:
    with op.batch_alter_table("channel_events", naming_convention=_NAMING) as batch_op:
        batch_op.add_column(sa.Column("form_key", sa.String(length=64), nullable=False, server_default=""))
        batch_op.drop_constraint(OLD_UNIQUE, type_="unique")
    key = _EVENTS.c.event_key
    colon = _colon(key)
    # Both new values are computed from the old event_key in one UPDATE (SET reads the old row).
    op.execute(_EVENTS.update().where(_EVENTS.c.channel == "form", colon > 0)
               .values(form_key=sa.func.substr(key, 1, colon - 1), event_key=sa.func.substr(key, colon + 1)))
    with op.batch_alter_table("channel_events") as batch_op:
        batch_op.create_unique_constraint(NEW_UNIQUE, ["channel", "form_key", "event_key"])


def downgrade() -> None:
    with op.batch_alter_table("channel_events") as batch_op:
        batch_op.drop_constraint(NEW_UNIQUE, type_="unique")
    form_key = _EVENTS.c.form_key
    op.execute(_EVENTS.update().where(form_key != "")
               .values(event_key=sa.func.substr(form_key + ":" + _EVENTS.c.event_key, 1, 255)))
    with op.batch_alter_table("channel_events") as batch_op:
        batch_op.drop_column("form_key")
        batch_op.create_unique_constraint(OLD_UNIQUE, ["channel", "event_key"])
