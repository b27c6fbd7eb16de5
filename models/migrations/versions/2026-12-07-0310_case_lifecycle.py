"""case lifecycle steps in Slack: consent withdrawal and renewal, referral-in

Consents: the day a consent was withdrawn and why; a renewal names the consent it renews.

`withdrawn_at` stays the moment it was recorded; `withdrawn_on` is the day the person withdrew (told
the worker, signed the form), which may be a day or two earlier. The reason is the person's own words,
encrypted like every free text about the client. `renews_id` links a renewal to the consent it carries
on, so the record shows one consent renewed rather than two unrelated ones.

Cases: a referral recorded before any intake (stage 0) keeps who referred the person and the reason as
they wrote it, both encrypted (a referrer may be a neighbour named in full). A case put on hold keeps
why (encrypted) and until when: a nudge goes out that morning.

Revision ID: 0015_case_lifecycle
Revises: 0014_supervision
Create Date: 2026-12-07 02:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0015_case_lifecycle"
down_revision: str | Sequence[str] | None = "0014_supervision"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdrawn_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("withdrawal_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("renews_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_consents_renews_id_consents", "consents", ["renews_id"], ["id"])
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("referrer", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("referral_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("hold_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("hold_until", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("hold_until")
        batch_op.drop_column("hold_reason")
        batch_op.drop_column("referral_reason")
        batch_op.drop_column("referrer")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_constraint("fk_consents_renews_id_consents", type_="foreignkey")
        batch_op.drop_column("renews_id")
        batch_op.drop_column("withdrawal_reason")
        batch_op.drop_column("withdrawn_on")
