"""Background work on a task queue: the rows say what is unfinished.

`channel_events.next_attempt_at`: when the sweep re-enqueues an event that is still unfinished
(received: its message may have been lost; failed: its automatic retry is overdue). NULL once the
event is final (processed, ignored, failed for good). Existing unfinished events become due now.

`import_jobs.worker` names the consumer that claimed a job: every write of a running import is
fenced on it, so a worker presumed dead that wakes up cannot write beside the one that resumed its
job. `import_jobs.attempts` counts the claims, so a job that kills every worker ends "failed".

Revision ID: 0006_task_queue
Revises: 0005_channel_event_form_key
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006_task_queue"
down_revision: str | None = "0005_channel_event_form_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("channel_events") as batch:
        batch.add_column(sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.create_index("ix_channel_events_next_attempt_at", ["next_attempt_at"])
    op.execute("UPDATE channel_events SET next_attempt_at = received_at "
               "WHERE status = 'received' OR (status = 'failed' AND attempts < 5)")
    with op.batch_alter_table("import_jobs") as batch:
        batch.add_column(sa.Column("worker", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("import_jobs") as batch:
        batch.drop_column("attempts")
        batch.drop_column("worker")
    with op.batch_alter_table("channel_events") as batch:
        batch.drop_index("ix_channel_events_next_attempt_at")
        batch.drop_column("next_attempt_at")
