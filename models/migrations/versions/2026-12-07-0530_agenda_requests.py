"""integrated conferences (통합사례회의): a case of another team asked onto the agenda, on it only when
that team's supervisor agrees

Revision ID: 0022_agenda_requests
Revises: 0021_households
Create Date: 2026-12-07 05:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0022_agenda_requests"
down_revision: str | Sequence[str] | None = "0021_households"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conference_agenda_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conference_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("question", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_conference_agenda_requests_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["case_conferences.id"],
            name=op.f("fk_conference_agenda_requests_conference_id_case_conferences"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["staff_members.id"],
            name=op.f("fk_conference_agenda_requests_decided_by_id_staff_members"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["staff_members.id"],
            name=op.f("fk_conference_agenda_requests_requested_by_id_staff_members"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conference_agenda_requests")),
        sa.UniqueConstraint(
            "conference_id", "case_id", name=op.f("uq_conference_agenda_requests_conference_id_case_id")
        ),
    )
    with op.batch_alter_table("conference_agenda_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_conference_agenda_requests_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_conference_agenda_requests_conference_id"), ["conference_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("conference_agenda_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conference_agenda_requests_conference_id"))
        batch_op.drop_index(batch_op.f("ix_conference_agenda_requests_case_id"))

    op.drop_table("conference_agenda_requests")
