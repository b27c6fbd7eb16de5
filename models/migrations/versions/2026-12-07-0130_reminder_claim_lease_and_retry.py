"""reminders: who holds a claim and until when; when a failed send is tried again

A claim now names its holder (host, process id and a token of the process's start) and carries a lease,
so a starting process releases the claims of processes that are gone at once instead of after a fixed
ten minutes. A send that failed for a passing reason waits until `retry_at` (a capped back-off) while
`due_at` keeps the obligation's own time.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 01:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_reminders_retry_at", "reminders", ["retry_at"])


def downgrade() -> None:
    # Before 0011 a row waiting on a retry kept the retry time in due_at.
    op.execute(
        sa.text("UPDATE reminders SET due_at = retry_at WHERE retry_at IS NOT NULL AND retry_at > due_at")
    )
    op.drop_index("ix_reminders_retry_at", table_name="reminders")
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_column("retry_at")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("claimed_by")
