"""a school case's next step "record the consent" names whose student-support consent is missing; the
stored state of school cases is derived afresh (it may now be that step)

Revision ID: 0028_intake_follow
Revises: 0027_task_workers
Create Date: 2026-12-07 06:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0028_intake_follow"
down_revision: str | Sequence[str] | None = "0027_task_workers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_step_consent", sa.String(length=40), nullable=True))
    # NULL: derived at the next read (lifecycle.stored_state), then stored with the next change.
    op.execute("UPDATE cases SET stage = NULL, next_step = NULL WHERE profile = 'school'")


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("next_step_consent")
