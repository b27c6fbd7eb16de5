"""Views of the intake's follow-ups: `/case intake CODE` shows the intake's detail blocks and parses them
as the intake does; a school case's next step names the missing consent on the Home; the crisis nudges."""

from __future__ import annotations

import json
from datetime import date

import pytest

from bot.forms import read_state
from bot.i18n import t
from bot.ids import Action
from bot.ids import View as ViewId
from bot.metadata import CaseRef
from bot.views.home import home_view
from bot.views.intake import DETAIL_BLOCKS, MAX_BLOCKS, RECORD_INTAKE_BLOCKS, record_intake_modal, rows_in
from bot.views.reminders import OPENS, nudge
from handlers.intake import parse_record_intake, row_blocks
from models.enums import (
    CaseStatus,
    CrisisFlag,
    IntakeRoute,
    LegalStanding,
    MissingConsent,
    NextStep,
    ReminderKind,
    Stage,
)
from models.schemas import MAX_GUARDIANS, MAX_HOUSEHOLD
from models.services.desk import Desk, DeskItem, DueGroup
from models.services.lifecycle import CaseState
from tests.unit.test_intake_views import block_ids, state_of, validate

TODAY = date(2026, 3, 2)


@pytest.mark.parametrize("locale", ["ko", "en"])
@pytest.mark.parametrize("strict", [False, True])
def test_the_record_intake_modal_has_the_intakes_detail_blocks_within_the_budget(locale, strict):
    for members in range(MAX_HOUSEHOLD + 1):
        for guardians in (1, MAX_GUARDIANS):
            view = record_intake_modal(
                locale, "C-2026-0001", strict=strict, members=members, guardians=guardians
            )
            validate(view)
            assert len(view["blocks"]) <= MAX_BLOCKS
    view = record_intake_modal(locale, "C-2026-0001", strict=strict)
    assert view["callback_id"] == ViewId.RECORD_INTAKE
    assert CaseRef.read(view["private_metadata"]) == CaseRef(code="C-2026-0001")
    ids = set(block_ids(view))
    assert set(RECORD_INTAKE_BLOCKS) <= ids and set(DETAIL_BLOCKS) <= ids
    assert ("guardians.0.legal_standing" in ids) is not strict  # strict mode: no guardian rows at all
    inputs = {b["block_id"] for b in view["blocks"] if b["type"] == "input"}
    form = read_state(state_of(view, {}))
    assert inputs <= {*RECORD_INTAKE_BLOCKS, *row_blocks(form, strict=strict)}


def test_a_row_added_to_the_record_intake_keeps_what_was_typed():
    view = record_intake_modal(
        "ko", "C-2026-0001", members=1, values={"client.interpreter_language": "몽골어"}
    )
    assert rows_in(view) == (1, 1)
    kept = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert kept["client.interpreter_language"]["initial_value"] == "몽골어"


def test_the_record_intake_is_parsed_as_the_intake():
    view = record_intake_modal("ko", "C-2026-0001", members=1)
    values = {
        "intake_summary": "가정 방문",
        "intake_route": "PHONE",
        "client.characteristics": ["DISABILITY"],
        "client.interpreter_language": "몽골어",
        "client.benefits": ["MEDICAL"],
        "client.housing_type": "JEONSE",
        "crisis_flags": ["ABUSE"],
        "household.0.name": "가구원",
        "household.0.relation": "자녀",
        "household.0.flags": ["co_resident", "main_carer"],
        "guardians.0.name": "보호자",
        "guardians.0.legal_standing": "PARENTAL_AUTHORITY",
        "confidentiality_notice_given": ["yes"],
    }
    data = parse_record_intake(read_state(state_of(view, values)))
    assert data.intake_summary == "가정 방문" and data.confidentiality_notice_given
    assert data.intake_route == IntakeRoute.PHONE and data.crisis_flags == [CrisisFlag.ABUSE]
    assert data.client.interpreter_needed and data.client.interpreter_language == "몽골어"
    assert [m.relation for m in data.household] == ["자녀"] and data.household[0].is_main_carer
    [guardian] = data.guardians
    assert guardian.legal_standing == LegalStanding.PARENTAL_AUTHORITY and guardian.is_legal_representative
    assert guardian.relationship_kind  # the default relationship when none is typed
    # Untouched rows are no members or guardians at all.
    empty = parse_record_intake(read_state(state_of(view, {"confidentiality_notice_given": ["yes"]})))
    assert empty.household == [] and empty.guardians == [] and empty.crisis_flags == []


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_the_home_names_the_missing_consent_and_offers_the_consent_dialogue(locale):
    state = CaseState(Stage.INTAKE, NextStep.RECORD_CONSENT, MissingConsent.STUDENT)
    item = DeskItem(
        code="S-2026-0001",
        status=CaseStatus.OPEN,
        state=state,
        next_due_on=None,
        intensity=None,
        crisis=False,
        group=DueGroup.LATER,
    )
    desk = Desk(
        items=[item], counts={g: int(g == DueGroup.LATER) for g in DueGroup}, page=0, pages=1, page_size=10
    )
    view = home_view(locale, name="교육복지사", today=TODAY.isoformat(), desk=desk)
    validate(view)
    shown = json.dumps(view, ensure_ascii=False)
    assert t("lifecycle.next_step.consent", locale, missing=MissingConsent.STUDENT.label(locale)) in shown
    assert state.next_step_label(locale) != NextStep.RECORD_CONSENT.label(locale)
    actions = [e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert Action.OPEN_CONSENT in actions
    # Without a missing signer, the usual label.
    assert CaseState(Stage.INTAKE, NextStep.RECORD_CONSENT).next_step_label(locale) == (
        NextStep.RECORD_CONSENT.label(locale)
    )


@pytest.mark.parametrize("locale", ["ko", "en"])
def test_the_supervisors_overdue_first_response_nudge_opens_the_case(locale):
    assert OPENS[ReminderKind.CRISIS_RESPONSE_OVERDUE] == Action.OPEN_SHOW
    text, blocks = nudge(
        ReminderKind.CRISIS_RESPONSE_OVERDUE, "HC-2026-0007", date(2026, 3, 3), date(2026, 3, 4), 9, locale
    )
    assert "HC-2026-0007" in text and ReminderKind.CRISIS_RESPONSE_OVERDUE.label(locale) in text
    ids = [e["action_id"] for blk in blocks if blk["type"] == "actions" for e in blk["elements"]]
    assert ids[0] == Action.OPEN_SHOW
