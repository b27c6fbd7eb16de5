"""referral outcomes (date, encrypted reason, no alternative), referrals from after-care, unmet needs,
and the reply to a referral-in's referrer

Revision ID: 0024_referral_outcomes
Revises: 0023_case_agencies
Create Date: 2026-12-07 05:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0024_referral_outcomes"
down_revision: str | Sequence[str] | None = "0023_case_agencies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("outcome_reason", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("no_alternative", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("aftercare_check_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_referrals_aftercare_check_id"), ["aftercare_check_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_referrals_aftercare_check_id_aftercare_checks"),
            "aftercare_checks",
            ["aftercare_check_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("referrer_replied_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("referrer_reply_method", sa.String(length=40), nullable=True))
    op.create_table(
        "unmet_needs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_unmet_needs_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_unmet_needs_referral_id_referrals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["staff_members.id"], name=op.f("fk_unmet_needs_recorded_by_id_staff_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unmet_needs")),
        sa.UniqueConstraint("referral_id", name=op.f("uq_unmet_needs_referral_id")),
    )
    with op.batch_alter_table("unmet_needs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unmet_needs_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_unmet_needs_recorded_by_id"), ["recorded_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_unmet_needs_recorded_at"), ["recorded_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("unmet_needs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unmet_needs_recorded_at"))
        batch_op.drop_index(batch_op.f("ix_unmet_needs_recorded_by_id"))
        batch_op.drop_index(batch_op.f("ix_unmet_needs_case_id"))
    op.drop_table("unmet_needs")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("referrer_reply_method")
        batch_op.drop_column("referrer_replied_on")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_referrals_aftercare_check_id_aftercare_checks"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_referrals_aftercare_check_id"))
        batch_op.drop_column("aftercare_check_id")
        batch_op.drop_column("no_alternative")
        batch_op.drop_column("outcome_reason")
        batch_op.drop_column("outcome_on")
