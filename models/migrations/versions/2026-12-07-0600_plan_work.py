"""plans worked between revisions: plan reviews goal by goal, and a contact note's monitoring record
(per-goal progress and each linked service's state)

Revision ID: 0025_plan_work
Revises: 0024_referral_outcomes
Create Date: 2026-12-07 05:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0025_plan_work"
down_revision: str | Sequence[str] | None = "0024_referral_outcomes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "plan_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_review_due", sa.Date(), nullable=False),
        sa.Column("progress", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["service_plans.id"],
            name=op.f("fk_plan_reviews_plan_id_service_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_plan_reviews_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["staff_members.id"], name=op.f("fk_plan_reviews_author_id_staff_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_reviews")),
    )
    with op.batch_alter_table("plan_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_reviews_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_plan_reviews_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_plan_reviews_author_id"), ["author_id"], unique=False)
    with op.batch_alter_table("contact_notes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("monitoring", sa.Text(), nullable=True))
    # A new next step (lifecycle.derive): a case in monitoring whose latest contact with a result said
    # "consider closing" is to be reviewed for closure (종결 검토).
    op.execute(
        """
        UPDATE cases SET next_step = 'REVIEW_CLOSURE'
        WHERE stage = '6' AND next_step = 'LOG_CONTACT' AND (
            SELECT n.result FROM contact_notes n
            WHERE n.case_id = cases.id AND n.episode = cases.episode AND n.result IS NOT NULL
            ORDER BY n.contact_at DESC, n.id DESC LIMIT 1
        ) = 'CONSIDER_CLOSE'
        """
    )


def downgrade() -> None:
    op.execute("UPDATE cases SET next_step = 'LOG_CONTACT' WHERE next_step = 'REVIEW_CLOSURE'")
    with op.batch_alter_table("contact_notes", schema=None) as batch_op:
        batch_op.drop_column("monitoring")
    with op.batch_alter_table("plan_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_reviews_author_id"))
        batch_op.drop_index(batch_op.f("ix_plan_reviews_case_id"))
        batch_op.drop_index(batch_op.f("ix_plan_reviews_plan_id"))
    op.drop_table("plan_reviews")
