"""Channel fields: an ad lead's attribution on raw leads and leads, and "Landing page" in the
input-source picklist (DESIGN §4 lists it; installations seeded before had records carrying a
form's label that was not a picklist value).

Revision ID: 0008_channel_fields
Revises: 0009_zalo_connection
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_channel_fields"
down_revision: str | None = "0009_zalo_connection"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (("ad_page_id", 64), ("ad_form_id", 64), ("ad_form_name", 255), ("ad_campaign_id", 64),
            ("ad_campaign_name", 255), ("ad_adset_id", 64), ("ad_adset_name", 255), ("ad_id", 64),
            ("ad_name", 255))
_INDEXED = ("ad_form_id", "ad_campaign_name")
_TABLES = ("raw_leads", "leads")
LANDING_PAGE = "Landing page"


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch_op:
            for name, length in _COLUMNS:
                batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))
            for name in _INDEXED:
                batch_op.create_index(f"ix_{table}_{name}", [name], unique=False)
    # Before "API" when it is there, else after the last value; never twice, and only on an
    # installation that has the picklist (a new one gets it from the defaults).
    bind = op.get_bind()
    values = sa.table("picklist_values", sa.column("field_key", sa.String), sa.column("value", sa.String),
                      sa.column("position", sa.Integer), sa.column("is_active", sa.Boolean))
    rows = bind.execute(sa.select(values.c.value, values.c.position)
                        .where(values.c.field_key == "input_source")).all()
    if not rows or any(value == LANDING_PAGE for value, _ in rows):
        return
    api = next((position for value, position in rows if value == "API"), None)
    if api is None:
        position = max(p for v, p in rows if v != "Không xác định") + 1
    else:
        position = api
        bind.execute(sa.update(values).where(values.c.field_key == "input_source",
                                             values.c.position >= api).values(position=values.c.position + 1))
    bind.execute(sa.insert(values).values(field_key="input_source", value=LANDING_PAGE, position=position,
                                          is_active=True))


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch_op:
            for name in _INDEXED:
                batch_op.drop_index(f"ix_{table}_{name}")
            for name, _length in _COLUMNS:
                batch_op.drop_column(name)
