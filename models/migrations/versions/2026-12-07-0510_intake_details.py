"""the intake of issue 17: interpreter language, benefits and housing of the client; household members'
names; guardians' legal standing; how the intake came and the crisis flags ticked there

Revision ID: 0020_intake_details
Revises: 0019_stats_links
Create Date: 2026-12-07 05:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_intake_details"
down_revision: str | Sequence[str] | None = "0019_stats_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("interpreter_language", sa.Text(), nullable=True))
        batch.add_column(sa.Column("benefits", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("housing_type", sa.String(length=40), nullable=True))
    with op.batch_alter_table("household_members") as batch:
        batch.add_column(sa.Column("name", sa.Text(), nullable=True))
    with op.batch_alter_table("guardians") as batch:
        batch.add_column(sa.Column("legal_standing", sa.String(length=40), nullable=True))
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("intake_route", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("crisis_flags", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("crisis_flagged_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("crisis_flagged_at")
        batch.drop_column("crisis_flags")
        batch.drop_column("intake_route")
    with op.batch_alter_table("guardians") as batch:
        batch.drop_column("legal_standing")
    with op.batch_alter_table("household_members") as batch:
        batch.drop_column("name")
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("housing_type")
        batch.drop_column("benefits")
        batch.drop_column("interpreter_language")
