"""the practice profile per team (public, welfare_centre, school): NULL follows the deployment's PROFILE;
a Wee resource's step on the Wee ladder (school teams)

Revision ID: 0019_team_profiles
Revises: 0018_message_refs
Create Date: 2026-12-07 05:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0019_team_profiles"
down_revision: str | Sequence[str] | None = "0018_message_refs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile", sa.String(length=40), nullable=True))
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wee_level", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_column("wee_level")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("profile")
