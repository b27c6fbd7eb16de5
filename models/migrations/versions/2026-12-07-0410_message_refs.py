"""where the app's changeable messages are: each supervisor's closure-approval DM, and a sent
nudge's channel with whether its task is done (and its message updated to say so)

Revision ID: 0018_message_refs
Revises: 0017_privacy_records
Create Date: 2026-12-07 03:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0018_message_refs"
down_revision: str | Sequence[str] | None = "0017_privacy_records"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "message_refs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("closure_id", sa.Integer(), nullable=True),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["closure_id"],
            ["closures.id"],
            name=op.f("fk_message_refs_closure_id_closures"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["staff_members.id"], name=op.f("fk_message_refs_recipient_id_staff_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_refs")),
    )
    with op.batch_alter_table("message_refs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_refs_closure_id"), ["closure_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_message_refs_recipient_id"), ["recipient_id"], unique=False)
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_channel", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("unneeded", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_column("settled_at")
        batch_op.drop_column("unneeded")
        batch_op.drop_column("message_channel")
    with op.batch_alter_table("message_refs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_refs_recipient_id"))
        batch_op.drop_index(batch_op.f("ix_message_refs_closure_id"))
    op.drop_table("message_refs")
