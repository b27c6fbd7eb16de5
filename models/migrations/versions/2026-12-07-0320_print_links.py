"""one-time links to printed forms

Revision ID: 0016_print_links
Revises: 0015_case_lifecycle
Create Date: 2026-12-07 02:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_print_links"
down_revision: str | Sequence[str] | None = "0015_case_lifecycle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "print_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.String(length=20), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_print_links_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_members.id"], name=op.f("fk_print_links_staff_id_staff_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_print_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_print_links_token_hash")),
    )
    with op.batch_alter_table("print_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_print_links_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_print_links_staff_id"), ["staff_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("print_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_print_links_staff_id"))
        batch_op.drop_index(batch_op.f("ix_print_links_case_id"))
    op.drop_table("print_links")
