"""privacy records of issue 17: the statutory basis for sensitive data in an assessment (R4), the
mandatory-report record (R12), the retention hold (R10)

Revision ID: 0017_privacy_records
Revises: 0016_print_links
Create Date: 2026-12-07 03:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_privacy_records"
down_revision: str | Sequence[str] | None = "0016_print_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.add_column(sa.Column("sensitive_basis", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("sensitive_basis_note", sa.Text(), nullable=True))
    op.create_table(
        "mandatory_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("reporter", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_mandatory_reports_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mandatory_reports")),
    )
    with op.batch_alter_table("mandatory_reports") as batch:
        batch.create_index(batch.f("ix_mandatory_reports_case_id"), ["case_id"], unique=False)
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("retention_hold_until", sa.Date(), nullable=True))
        batch.add_column(sa.Column("retention_hold_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("retention_hold_reason")
        batch.drop_column("retention_hold_until")
    with op.batch_alter_table("mandatory_reports") as batch:
        batch.drop_index(batch.f("ix_mandatory_reports_case_id"))
    op.drop_table("mandatory_reports")
    with op.batch_alter_table("assessments") as batch:
        batch.drop_column("sensitive_basis_note")
        batch.drop_column("sensitive_basis")
