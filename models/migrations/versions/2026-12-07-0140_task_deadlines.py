"""task deadlines kept apart from when a nudge fires

A reminder row's `due_at` is when its nudge fires: before the deadline for a warning, after it for an
escalation, later again after a snooze or a failed send. `reminders.deadline_on` keeps the task's own
deadline, which the nudge shows and counts "N days late" from. On cases, `next_due_kind` says which
task `next_due_on` is the deadline of, and `next_step_due_on` is the next step's own deadline, so the
desk pairs each date with its own task.

Existing rows keep NULL until their case next changes (reminders.refresh writes them); the readers fall
back to the local date of `due_at` meanwhile.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-10 09:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deadline_on", sa.Date(), nullable=True))
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_due_kind", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("next_step_due_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("next_step_due_on")
        batch_op.drop_column("next_due_kind")
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_column("deadline_on")
