"""a plan task's responsible worker (담당자): a staff member of the case's circle, whose TASK_DUE nudge
it is (NULL: the case manager's)

Revision ID: 0027_task_workers
Revises: 0026_team_profiles
Create Date: 2026-12-07 05:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0027_task_workers"
down_revision: str | Sequence[str] | None = "0026_team_profiles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("plan_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("worker_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_plan_tasks_worker_id"), ["worker_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_plan_tasks_worker_id_staff_members"),
            "staff_members",
            ["worker_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("plan_tasks", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_plan_tasks_worker_id_staff_members"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_plan_tasks_worker_id"))
        batch_op.drop_column("worker_id")
