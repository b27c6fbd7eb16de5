"""stored case stage and next step

The desk (`/case list`, the App Home) showed each case's stage and next step by deriving them from the
case's records, a dozen queries per page. They are now stored on the case row, like `next_due_on`, by
`lifecycle.store_state` whenever the case changes (`reminders.refresh`), with the days on which they
hold: `state_valid_from` to the day before `state_valid_until`, the start or end of a collection-and-use
consent being the only thing that changes the derivation without a change to the record.

The upgrade fills the four columns for existing cases in SQL that mirrors `lifecycle.derive` and
`lifecycle.state_window` as of this revision, on the agency's date (`TIMEZONE`, as the settings read
it). A case left NULL, or outside its window, is derived afresh by the desk, so a value this backfill
could not know is never shown.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 04:19:28.589558

"""

import os
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# lifecycle.derive, case by case (stage, next step). The current episode's records only, except
# consents and after-care checks, which belong to the case.
EPISODE = "x.case_id = c.id AND x.episode = c.episode"
PENDING_CLOSURE = f"EXISTS (SELECT 1 FROM closures x WHERE {EPISODE} AND x.status = 'PENDING')"
OPEN_AFTERCARE = "EXISTS (SELECT 1 FROM aftercare_checks x WHERE x.case_id = c.id AND x.done_at IS NULL AND NOT x.cancelled)"
COLLECTION_CONSENT = (
    "EXISTS (SELECT 1 FROM consents x WHERE x.case_id = c.id AND x.scope = 'COLLECT_USE'"
    " AND x.withdrawn_at IS NULL AND x.given_on <= :today AND (x.expires_on IS NULL OR :today <= x.expires_on))"
)
ASSESSED = f"EXISTS (SELECT 1 FROM assessments x WHERE {EPISODE} AND x.status = 'COMPLETED')"
CLASSIFIED = "c.classified_at IS NOT NULL AND c.classified_at >= c.episode_started_at"
AGREED_PLAN = f"EXISTS (SELECT 1 FROM service_plans x WHERE {EPISODE} AND x.status = 'AGREED')"
DRAFT_PLAN = f"EXISTS (SELECT 1 FROM service_plans x WHERE {EPISODE} AND x.status = 'DRAFT')"
REASSESSMENT_PENDING = (
    "c.reassessment_requested_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM assessments x WHERE "
    f"{EPISODE} AND x.status = 'COMPLETED' AND x.kind = 'REASSESSMENT' AND x.completed_at IS NOT NULL"
    " AND x.completed_at >= c.reassessment_requested_at)"
)
# Monitoring starts with the plan in force (the agreed plan of the highest version), else classification.
SINCE = (
    "COALESCE((SELECT p.agreed_at FROM service_plans p WHERE p.case_id = c.id AND p.episode = c.episode"
    " AND p.status = 'AGREED' ORDER BY p.version DESC LIMIT 1), c.classified_at)"
)
MONITORED = f"EXISTS (SELECT 1 FROM contact_notes x WHERE {EPISODE} AND x.contact_at >= {SINCE})"
REFERRED = f"EXISTS (SELECT 1 FROM referrals x WHERE {EPISODE})"
NEEDS_PLAN = f"NOT {AGREED_PLAN} AND (c.intensity IS NULL OR c.intensity <> 'LINKAGE_ONLY')"
FINISHED = "c.status IN ('ARCHIVED', 'AFTERCARE', 'CLOSED')"


# The open-case branches of derive, in its order: (condition, stage, next step); the last one is the
# fallback when no condition holds.
OPEN_CASE = [
    ("c.intake_at IS NULL", "'0'", "'RECORD_INTAKE'"),
    (f"NOT {COLLECTION_CONSENT}", "'1'", "'RECORD_CONSENT'"),
    (f"NOT {ASSESSED}", "'2'", "'COMPLETE_ASSESSMENT'"),
    (f"NOT ({CLASSIFIED})", "'3'", "'CLASSIFY'"),
    (NEEDS_PLAN, "'4'", f"CASE WHEN {DRAFT_PLAN} THEN 'AGREE_PLAN' ELSE 'WRITE_PLAN' END"),
    (REASSESSMENT_PENDING, "'7'", "'COMPLETE_REASSESSMENT'"),
    (MONITORED, "'6'", "'LOG_CONTACT'"),
    (None, "'5'", f"CASE WHEN {REFERRED} THEN 'LOG_CONTACT' ELSE 'LINK_SERVICES' END"),
]


def _open_case(column: int) -> str:
    """OPEN_CASE as one CASE expression giving the stage (column 1) or the next step (column 2)."""
    whens = " ".join(f"WHEN {branch[0]} THEN {branch[column]}" for branch in OPEN_CASE if branch[0])
    return f"CASE {whens} ELSE {OPEN_CASE[-1][column]} END"


STAGE = f"CASE WHEN {FINISHED} THEN '9' WHEN {PENDING_CLOSURE} THEN '8' ELSE {_open_case(1)} END"
NEXT_STEP = (
    "CASE WHEN c.status = 'ARCHIVED' THEN 'NONE'"
    f" WHEN {FINISHED} THEN CASE WHEN {OPEN_AFTERCARE} THEN 'AFTERCARE_CHECK' ELSE 'NONE' END"
    f" WHEN {PENDING_CLOSURE} THEN 'APPROVE_CLOSURE'"
    " WHEN c.status = 'ON_HOLD' THEN 'RESUME'"
    f" ELSE {_open_case(2)} END"
)


def _window(day_after: str) -> tuple[str, str]:
    """lifecycle.state_window: the latest start or end of a live collection-and-use consent on or
    before today, and the earliest one after today."""
    live = "FROM consents x WHERE x.case_id = c.id AND x.scope = 'COLLECT_USE' AND x.withdrawn_at IS NULL"
    ended = day_after.format("x.expires_on")
    valid_from = (
        f"(SELECT MAX(CASE WHEN x.expires_on < :today THEN {ended}"
        f" WHEN x.given_on <= :today THEN x.given_on END) {live})"
    )
    valid_until = (
        f"(SELECT MIN(CASE WHEN x.given_on > :today THEN x.given_on"
        f" WHEN x.expires_on >= :today THEN {ended} END) {live})"
    )
    return valid_from, valid_until


def upgrade() -> None:
    """Upgrade schema."""
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stage", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("next_step", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("state_valid_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("state_valid_until", sa.Date(), nullable=True))

    # ### end Alembic commands ###
    bind = op.get_bind()
    day_after = "date({}, '+1 day')" if bind.dialect.name == "sqlite" else "({} + 1)"
    valid_from, valid_until = _window(day_after)
    today = datetime.now(ZoneInfo(os.environ.get("TIMEZONE") or "Asia/Seoul")).date()
    bind.execute(
        sa.text(
            f"UPDATE cases AS c SET stage = {STAGE}, next_step = {NEXT_STEP},"
            f" state_valid_from = {valid_from}, state_valid_until = {valid_until}"
        ).bindparams(sa.bindparam("today", today, type_=sa.Date()))
    )


def downgrade() -> None:
    """Downgrade schema."""
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("state_valid_until")
        batch_op.drop_column("state_valid_from")
        batch_op.drop_column("next_step")
        batch_op.drop_column("stage")

    # ### end Alembic commands ###
