"""households (가구): a household's code, its members' cases, members who are not clients (relation,
age band, an encrypted name) and one need rating per domain for the household

Revision ID: 0021_households
Revises: 0020_intake_details
Create Date: 2026-12-07 05:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0021_households"
down_revision: str | Sequence[str] | None = "0020_intake_details"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "households",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff_members.id"], name=op.f("fk_households_created_by_id_staff_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_households")),
        sa.UniqueConstraint("code", name=op.f("uq_households_code")),
    )
    op.create_table(
        "household_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("linked_by_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_household_cases_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_household_cases_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["linked_by_id"], ["staff_members.id"], name=op.f("fk_household_cases_linked_by_id_staff_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_cases")),
        sa.UniqueConstraint("case_id", name=op.f("uq_household_cases_case_id")),
    )
    with op.batch_alter_table("household_cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_household_cases_household_id"), ["household_id"], unique=False)

    op.create_table(
        "household_needs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=40), nullable=False),
        sa.Column("rated_by_id", sa.Integer(), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_household_needs_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rated_by_id"], ["staff_members.id"], name=op.f("fk_household_needs_rated_by_id_staff_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_needs")),
        sa.UniqueConstraint("household_id", "domain", name=op.f("uq_household_needs_household_id_domain")),
    )
    with op.batch_alter_table("household_needs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_household_needs_household_id"), ["household_id"], unique=False)

    op.create_table(
        "household_persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=40), nullable=False),
        sa.Column("age_band", sa.String(length=40), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["staff_members.id"], name=op.f("fk_household_persons_added_by_id_staff_members")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_household_persons_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_persons")),
    )
    with op.batch_alter_table("household_persons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_household_persons_household_id"), ["household_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("household_persons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_household_persons_household_id"))

    op.drop_table("household_persons")
    with op.batch_alter_table("household_needs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_household_needs_household_id"))

    op.drop_table("household_needs")
    with op.batch_alter_table("household_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_household_cases_household_id"))

    op.drop_table("household_cases")
    op.drop_table("households")
