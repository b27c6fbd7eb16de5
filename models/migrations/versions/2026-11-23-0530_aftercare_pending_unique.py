"""after-care checks: unique per case and day among pending checks only

Until 0010 no two after-care checks of a case could share a due date, cancelled and done ones included,
so approving a closure failed (a unique violation) when the case had been closed, reopened and closed
again on the same day, or on two days whose follow-ups fall on the same month end. Uniqueness now holds
among pending checks (not done, not cancelled), which is what keeps a closure from scheduling the same
check twice.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 05:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("done_at IS NULL AND NOT cancelled")


def upgrade() -> None:
    with op.batch_alter_table("aftercare_checks", schema=None) as batch_op:
        batch_op.drop_constraint("uq_aftercare_checks_case_id_due_on", type_="unique")
    op.create_index(
        "uq_aftercare_checks_pending_case_id_due_on",
        "aftercare_checks",
        ["case_id", "due_on"],
        unique=True,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )


def downgrade() -> None:
    repeated = op.get_bind().scalar(
        sa.text(
            "SELECT COUNT(*) FROM (SELECT case_id, due_on FROM aftercare_checks "
            "GROUP BY case_id, due_on HAVING COUNT(*) > 1) AS repeated"
        )
    )
    if repeated:
        # The old rule cannot hold that history, and case records are never dropped to fit a schema.
        raise RuntimeError(
            f"{repeated} case(s) have after-care checks that share a due date (a case closed again on the "
            "same day): the schema before 0010 cannot hold them; stay at 0010."
        )
    op.drop_index("uq_aftercare_checks_pending_case_id_due_on", table_name="aftercare_checks")
    with op.batch_alter_table("aftercare_checks", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_aftercare_checks_case_id_due_on", ["case_id", "due_on"])
