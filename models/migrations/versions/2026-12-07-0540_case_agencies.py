"""case agencies: a case's lead agency (주사례관리기관) and partner agencies with their roles (a directory
resource or a typed organisation, encrypted)

Revision ID: 0023_case_agencies
Revises: 0022_agenda_requests
Create Date: 2026-12-07 05:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0023_case_agencies"
down_revision: str | Sequence[str] | None = "0022_agenda_requests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("lead", sa.Boolean(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=True),
        sa.Column("organisation", sa.Text(), nullable=True),
        sa.Column("role", sa.Text(), nullable=True),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["staff_members.id"], name=op.f("fk_case_agencies_added_by_id_staff_members")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_agencies_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resources.id"], name=op.f("fk_case_agencies_resource_id_resources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_agencies")),
    )
    with op.batch_alter_table("case_agencies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_agencies_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_agencies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_agencies_case_id"))

    op.drop_table("case_agencies")
