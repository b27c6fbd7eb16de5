"""the practice profile per team (public, welfare_centre, school): NULL follows the deployment's PROFILE;
a Wee resource's step on the Wee ladder (school teams); public teams' after-care hand-overs to the 읍면동

Revision ID: 0026_team_profiles
Revises: 0025_plan_work
Create Date: 2026-12-07 05:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0026_team_profiles"
down_revision: str | Sequence[str] | None = "0025_plan_work"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile", sa.String(length=40), nullable=True))
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wee_level", sa.String(length=40), nullable=True))
    op.create_table(
        "aftercare_handovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("handed_to", sa.String(length=200), nullable=False),
        sa.Column("handed_over_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_aftercare_handovers_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["staff_members.id"],
            name=op.f("fk_aftercare_handovers_recorded_by_id_staff_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aftercare_handovers")),
    )
    with op.batch_alter_table("aftercare_handovers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_aftercare_handovers_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_aftercare_handovers_recorded_by_id"), ["recorded_by_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("aftercare_handovers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_aftercare_handovers_recorded_by_id"))
        batch_op.drop_index(batch_op.f("ix_aftercare_handovers_case_id"))
    op.drop_table("aftercare_handovers")
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_column("wee_level")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("profile")
