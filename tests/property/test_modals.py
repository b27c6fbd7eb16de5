"""Every modal, submitted with arbitrary values: never a 500, never a partial record.

For each modal the app really opens (see scenarios.py), Hypothesis submits variations of that view:
plausible values with a few fields corrupted, Korean and emoji and control characters, overlong text,
options never offered, impossible dates, elements of the wrong type, blocks left out, a malformed
`state`, junk `private_metadata`, and someone else (or no staff member at all) submitting it.

The properties, for every submission:
- the HTTP answer is 200 and the app logs no error (an unexpected error is logged by `@app.error`);
- the answer is either `response_action: errors` — non-empty messages keyed by input blocks the modal
  really has (when its metadata is its own) — and then no table changed except `audit_log` (reads and
  refusals are recorded there by design, R9);
- or it is the success answer (the modal updated, or closed), and then the record is whole: the tables
  the dialogue writes grew as they must, no other table changed except the bookkeeping ones
  (`audit_log`, `case_events`, `processed_requests`, `reminders`), and the same delivery again (a
  Slack retry, a double click) gives the same answer and changes nothing.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.i18n import t
from bot.ids import View
from models.idempotency import ProcessedRequest
from sandbox.slack.requests import new_view_id, view_submission
from tests.factories import TODAY
from tests.property.conftest import AUDIT_ONLY, SIGNING_SECRET, Bot, Reply, changed_tables, view_problems
from tests.property.scenarios import SCENARIOS, Scenario, staff_user_ids
from tests.property.strategies import (
    CORRUPTED,
    MALFORMED_STATE,
    MINIMAL,
    TYPED,
    Plausible,
    input_blocks,
    metadata,
    state_values,
)

# Written by the successful work besides its own record: history, audit, the once-per-view key, nudges.
BOOKKEEPING = frozenset({"audit_log", "case_events", "processed_requests", "reminders"})
OTHER_USERS = ["UNOBODY", "UOUTSIDER", "UADMIN", "UCOWORKER"]
MALFORMED = "malformed state"


def test_every_modal_with_a_submission_listener_has_a_scenario(bot: Bot) -> None:
    """A new modal is not left out of the properties: a submission of every View id either reaches a
    listener (and then a scenario here opens that modal) or is answered as a retired form
    (handlers/fallback.py)."""
    retired = t("fallback.form", "ko")
    covered = {scenario.view for scenario in SCENARIOS}
    handled = set()
    for view in View:
        reply = bot.post(
            view_submission(SIGNING_SECRET, user_id="UNOBODY", callback_id=view, state_values={})
        )
        assert reply.status == 200, (view, reply)
        if retired not in json.dumps(reply.json() if reply.body else {}, ensure_ascii=False):
            handled.add(view)
    assert not bot.errors.take()
    # The admin desk's modals add, change and deactivate the very staff every other scenario here runs
    # as (the bot is shared): their properties are in tests/unit/core/test_admin_desk.py and
    # tests/e2e/test_admin_desk.py instead. Not yet covered by Hypothesis.
    admin_desk = {
        View.ADMIN_ADD_STAFF,
        View.ADMIN_EDIT_STAFF,
        View.ADMIN_DEACTIVATE,
        View.ADMIN_IMPORT,
        View.ADMIN_RESOURCE,
    }
    uncovered = handled - covered - admin_desk
    assert uncovered == set(), f"modals without a property scenario: {sorted(uncovered)}"
    assert covered <= handled


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_a_submission_is_refused_with_field_errors_or_saved_whole(bot: Bot, scenario: Scenario) -> None:
    opened = scenario.open(bot)
    plausible = Plausible(TODAY, staff_user_ids(bot), opened.codes, opened.text, opened.needed)
    answers: Counter[str] = Counter()

    @given(data=st.data())
    def submitting(data: st.DataObject) -> None:
        view = opened.views[data.draw(st.integers(0, len(opened.views) - 1), label="view (step)")]
        # As a person could fill it in (so that the success path is exercised too), with a few fields
        # corrupted, or with a `state` Slack would never send.
        how = data.draw(st.sampled_from([MINIMAL, TYPED, CORRUPTED, CORRUPTED, MALFORMED]), label="how")
        # Slack sends the view's blocks with its state (the tasks and plan review modals read their rows
        # from them).
        extra: dict = {"blocks": view.get("blocks", [])}
        values: dict = {}
        real_meta, user = view.get("private_metadata", ""), opened.user
        meta, genuine = real_meta, True
        if how == MALFORMED:
            extra["state"] = data.draw(MALFORMED_STATE, label="state")
        else:
            values = data.draw(state_values(view, plausible, fill=how), label="values")
        if how in (CORRUPTED, MALFORMED):
            meta, genuine = data.draw(metadata(real_meta), label="metadata")
            user = data.draw(st.sampled_from([opened.user, *OTHER_USERS]), label="user")
        view_id = new_view_id()
        request = view_submission(
            SIGNING_SECRET,
            user_id=user,
            callback_id=scenario.view,
            state_values=values,
            private_metadata=meta,
            view_id=view_id,
            **extra,
        )
        mark, before = bot.mark(), bot.counts()
        reply = bot.post(request)
        after = bot.counts()
        _no_server_error(bot, reply)
        for sent in [*bot.sent_views(mark), reply.json().get("view") or {"blocks": []}]:
            assert not view_problems(sent), view_problems(sent)
        body = reply.json()
        answers[body.get("response_action") or "closed"] += 1
        if body.get("response_action") == "errors":
            allowed = AUDIT_ONLY | ({"case_events"} if scenario.keeps_draft else set())
            _refused_whole(view, body, before, after, check_blocks=genuine, allowed=allowed)
            return
        _saved_whole(bot, scenario, reply, before, after, view_id)
        if scenario.keyed:
            again = bot.post(request)
            _no_server_error(bot, again)
            assert again.json().get("response_action") == body.get("response_action")
            assert set(changed_tables(after, bot.counts())) <= AUDIT_ONLY, "a repeat changed the record"

    submitting()
    # Both outcomes were checked, or one of the two properties held only vacuously.
    assert answers["errors"] and answers["update"] + answers["push"] + answers["closed"], dict(answers)


def _no_server_error(bot: Bot, reply: Reply) -> None:
    logged = bot.errors.take()
    assert reply.status == 200, (reply, logged)
    assert not logged, logged


def _refused_whole(
    view: dict,
    body: dict,
    before: dict,
    after: dict,
    *,
    check_blocks: bool,
    allowed: frozenset[str] | set[str],
) -> None:
    errors = body.get("errors")
    assert isinstance(errors, dict) and errors, body
    for block_id, message in errors.items():
        assert isinstance(message, str) and 0 < len(message) <= 2000, (block_id, message)
    if check_blocks:
        blocks = {b["block_id"] for b in input_blocks(view)}
        assert set(errors) <= blocks, f"errors under blocks the modal does not have: {set(errors) - blocks}"
    changed = changed_tables(before, after)
    assert set(changed) <= allowed, f"a refused submission changed {changed}"


def _saved_whole(bot: Bot, scenario: Scenario, reply: Reply, before: dict, after: dict, view_id: str) -> None:
    body = reply.json()
    if scenario.closes and body == {}:
        pass  # the modal closes: the success answer of this dialogue
    else:
        # "push": an after-care check that links a service pushes the referral form over it
        assert body.get("response_action") in ("update", "push"), f"neither errors nor success: {reply}"
        assert isinstance(body.get("view"), dict) and body["view"].get("blocks"), body
    changed = changed_tables(before, after)
    unexpected = set(changed) - set(scenario.writes) - BOOKKEEPING
    assert not unexpected, f"a successful {scenario.name} changed {changed}"
    for table, rows in scenario.writes.items():
        if rows is not None:
            assert changed.get(table, 0) == rows, f"{table} changed by {changed.get(table, 0)}, not {rows}"
    if scenario.keyed:
        with bot.uow() as db:
            key = db.scalar(select(ProcessedRequest.key).where(ProcessedRequest.key == f"view:{view_id}"))
        assert key is not None, "the work committed without its once-per-view key"
