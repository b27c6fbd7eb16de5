"""one-time links to a month's statistics workbook: a print link without a case, with its month

Revision ID: 0019_stats_links
Revises: 0018_message_refs
Create Date: 2026-12-07 05:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0019_stats_links"
down_revision: str | Sequence[str] | None = "0018_message_refs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("print_links", schema=None) as batch_op:
        batch_op.alter_column("case_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("period", sa.String(length=7), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM print_links WHERE case_id IS NULL")
    with op.batch_alter_table("print_links", schema=None) as batch_op:
        batch_op.drop_column("period")
        batch_op.alter_column("case_id", existing_type=sa.Integer(), nullable=False)
