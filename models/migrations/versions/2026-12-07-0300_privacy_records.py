"""privacy records of issue 17: the statutory basis for sensitive data in an assessment (R4)

Revision ID: 0014_privacy_records
Revises: 0013_service_log
Create Date: 2026-12-07 03:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_privacy_records"
down_revision: str | Sequence[str] | None = "0013_service_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.add_column(sa.Column("sensitive_basis", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("sensitive_basis_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.drop_column("sensitive_basis_note")
        batch.drop_column("sensitive_basis")
