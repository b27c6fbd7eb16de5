"""The case summary modal (View.SHOW), opened by `/case show CODE` and the View button.

A modal is private to the person who opened it and leaves no history in a channel, so it may show the
client's basics to someone allowed to see the case (the caller loads it through `access`). Nothing of
it is ever sent with chat.* methods.
"""

from __future__ import annotations

from bot.i18n import t
from bot.ids import Action, View
from bot.metadata import CaseRef
from bot.views import blocks as b
from bot.views.agencies import agency_lines
from bot.views.history import intake_blocks
from bot.views.referrals import REASON_LISTS
from models.enums import NeedDomain, Profile, Severity
from models.services.case_file import intake_entry
from models.services.desk import CaseSummary
from models.services.reminders import REFERRER_REPLY_DAYS

SEVERE = 3  # assessment domains rated at least this are listed
LAST_CONTACTS = 3
ITEM_TEXT = 200  # a goal's description, cut for the summary


def show_modal(summary: CaseSummary, locale: str) -> dict:
    case, state = summary.case, summary.state
    none = t("show.modal.none", locale)
    stage_view = (
        (t("show.modal.stage_school", locale), state.school_stage(locale))
        if case.profile == Profile.SCHOOL
        else (t("show.modal.stage_seed", locale), state.seed_stage(locale))
    )
    # Each date with its own task: the next step's deadline beside it, and the earliest task's below.
    step = state.next_step_label(locale)
    if summary.step_due is not None:
        step = t(
            "show.modal.step_due",
            locale,
            step=step,
            date=summary.step_due.on.isoformat(),
            late=_late(summary, summary.step_due.on, locale),
        )
    first = summary.first_due or summary.step_due
    due = (
        t(
            "show.modal.task_due",
            locale,
            what=first.kind.label(locale),
            date=first.on.isoformat(),
            late=_late(summary, first.on, locale),
        )
        if first is not None
        else t("show.modal.no_due", locale)
    )
    intensity = case.intensity.label(locale) if case.intensity else t("show.modal.unclassified", locale)
    crisis = t("show.modal.crisis_yes", locale) if case.crisis else t("show.modal.crisis_no", locale)
    fields = [
        (t("show.modal.status", locale), case.status.label(locale)),
        (t("show.modal.stage", locale), f"{state.stage.number}. {state.stage.label(locale)}"),
        stage_view,
        (t("show.modal.next_step", locale), step),
        (t("show.modal.due", locale), due),
        (t("show.modal.intensity", locale), intensity),
        (t("show.modal.crisis", locale), crisis),
        *_reply_field(summary, locale),
    ]
    warning = [b.section(t("show.modal.alleged_abuser", locale))] if summary.alleged_abuser_warning else []
    blocks = [
        *warning,
        b.context(t("show.modal.private", locale)),
        _fields(fields),
        b.divider(),
        b.header(t("show.modal.client", locale)),
        _fields(_client_fields(summary, locale)),
        b.section(f"*{t('show.modal.needs', locale)}*\n{_needs(case.presenting_needs, locale) or none}"),
        *intake_blocks(intake_entry(case), locale, summary.zone),
        _listing(t("show.modal.consents", locale), _consent_lines(summary, locale), none),
        _listing(t("show.modal.assessment", locale), *_assessment_lines(summary, locale)),
        _listing(
            t("show.modal.goals", locale), _goal_lines(summary, locale), t("show.modal.no_plan", locale)
        ),
        _listing(t("show.modal.referrals", locale), _referral_lines(summary, locale), none),
        *_declined(summary, locale),
        _listing(t("show.modal.contacts", locale), _contact_lines(summary, locale), none),
        *_household(summary, locale),
        *_agencies(summary, locale),
    ]
    return b.modal(
        View.SHOW,
        t("show.modal.title", locale, code=case.code),
        blocks,
        close=t("show.modal.close", locale),
    )


def _agencies(summary: CaseSummary, locale: str) -> list[dict]:
    """The lead agency and partner agencies with their roles, and the button to change them."""
    lead = next((a for a in summary.agencies if a.lead), None)
    partners = [a for a in summary.agencies if not a.lead]
    lines = agency_lines(lead, partners, locale)
    return [
        _listing(t("agencies.title", locale), lines, t("agencies.none", locale)),
        b.actions(
            b.button(
                t("agencies.open", locale), Action.OPEN_AGENCIES, CaseRef(code=summary.case.code).dump()
            ),
            block_id="show.agencies",
        ),
    ]


def _household(summary: CaseSummary, locale: str) -> list[dict]:
    """같은 가구 사례: the household's code and the codes of its other cases this viewer may see (the
    core leaves out the others: nothing of them, not even a count), and the button to the household
    modal (가구), also where there is no household yet."""
    household = summary.household
    button = b.actions(
        b.button(t("households.open", locale), Action.OPEN_HOUSEHOLD, CaseRef(code=summary.case.code).dump()),
        block_id="show.household",
    )
    if household is None:
        return [button]
    codes = ", ".join(household.others) or t("show.modal.none", locale)
    return [b.section(t("show.modal.household", locale, code=household.code, codes=codes)), button]


def _late(summary: CaseSummary, deadline, locale: str) -> str:  # type: ignore[no-untyped-def]
    days = summary.days_late(deadline)
    return t("show.modal.late", locale, days=days) if days > 0 else ""


def _fields(pairs: list[tuple[str, str]]) -> dict:
    return {
        "type": "section",
        "fields": [b.mrkdwn(f"*{label}*\n{value}", 2000) for label, value in pairs[:10]],
    }


def _listing(title: str, lines: list[str], empty: str) -> dict:
    return b.section(f"*{title}*\n" + ("\n".join(lines) if lines else empty))


def _client_fields(summary: CaseSummary, locale: str) -> list[tuple[str, str]]:
    client, unknown = summary.case.client, t("show.modal.unknown", locale)
    band = summary.age_band
    # Strict mode: the person is known here only by the system-of-record number, never by name.
    ref = (t("strict.show.external_ref", locale), b.cut(client.external_ref or unknown, 100))
    name = (t("show.modal.name", locale), b.cut(client.name or unknown, 100))
    pairs = [
        ref if summary.strict_privacy else name,
        (
            t("show.modal.age", locale),
            t("show.modal.age_band", locale, band=band) if band is not None else unknown,
        ),
        (
            t("show.modal.life_stage", locale),
            client.life_stage.label(locale) if client.life_stage else unknown,
        ),
    ]
    if client.external_ref and not summary.strict_privacy:
        pairs.append(ref)
    if client.under14:
        pairs.append((t("show.modal.under14", locale), "✓"))
    return pairs


def _needs(codes: list[str], locale: str) -> str:
    labels = []
    for code in codes:
        try:
            labels.append(NeedDomain(code).label(locale))
        except ValueError:
            continue
    return ", ".join(labels)


def _consent_lines(summary: CaseSummary, locale: str) -> list[str]:
    return [
        t(
            "show.modal.consent_line",
            locale,
            scope=c.scope.label(locale),
            given=c.given_on.isoformat(),
            expiry=t("show.modal.expires", locale, date=c.expires_on.isoformat())
            if c.expires_on
            else t("show.modal.no_expiry", locale),
        )
        for c in summary.consents_on_file
    ]


def _assessment_lines(summary: CaseSummary, locale: str) -> tuple[list[str], str]:
    latest = summary.snap.latest_assessment
    if latest is None:
        return [], t("show.modal.no_assessment", locale)
    lines = [
        t(
            "show.modal.rating_line",
            locale,
            domain=r.domain.label(locale),
            severity=f"{r.severity} {Severity(str(r.severity)).label(locale)}",
        )
        for r in sorted(latest.ratings, key=lambda r: (-r.severity, r.id))
        if r.severity >= SEVERE
    ]
    return lines, t("show.modal.no_severe", locale)


def _goal_lines(summary: CaseSummary, locale: str) -> list[str]:
    plan = summary.snap.plan_in_force
    return [
        t(
            "show.modal.goal_line",
            locale,
            domain=g.domain.label(locale),
            description=b.cut(g.description, ITEM_TEXT),
            date=g.target_date.isoformat(),
        )
        for g in (plan.goals if plan else [])
    ]


def _referral_lines(summary: CaseSummary, locale: str) -> list[str]:
    return [
        t(
            "show.modal.referral_line",
            locale,
            resource=b.cut(r.resource.name, 100),
            status=r.status.label(locale),
        )
        for r in summary.open_referrals
    ]


def _declined(summary: CaseSummary, locale: str) -> list[dict]:
    """Declined referrals with their reasons (the modal is private to the case's circle)."""
    lines = []
    for r in summary.declined_referrals:
        reasons = REASON_LISTS.get(r.status)
        known = {x.value: x for x in reasons} if reasons else {}
        reason = known[r.outcome_reason].label(locale) if r.outcome_reason in known else "-"
        lines.append(
            t(
                "show.modal.declined_line",
                locale,
                resource=b.cut(r.resource.name, 100),
                status=r.status.label(locale),
                reason=reason,
            )
        )
    return [_listing(t("show.modal.declined", locale), lines, "")] if lines else []


def _reply_field(summary: CaseSummary, locale: str) -> list[tuple[str, str]]:
    """회신 to a referral-in's referrer: when it went and how, or when it is due."""
    case = summary.case
    if not case.referrer:
        return []
    if case.referrer_replied_on is not None:
        method = case.referrer_reply_method.label(locale) if case.referrer_reply_method else "-"
        value = t("show.modal.reply_done", locale, date=case.referrer_replied_on.isoformat(), method=method)
    elif summary.referrer_reply_due is not None:
        value = t("show.modal.reply_due", locale, date=summary.referrer_reply_due.isoformat())
    else:
        value = t("show.modal.reply_after_classification", locale, days=REFERRER_REPLY_DAYS)
    return [(t("show.modal.referrer_reply", locale), value)]


def _contact_lines(summary: CaseSummary, locale: str) -> list[str]:
    return [
        t(
            "show.modal.contact_line",
            locale,
            date=summary.local_date(n.contact_at).isoformat(),
            type=n.contact_type.label(locale),
            outcome=n.outcome.label(locale),
        )
        for n in summary.last_contacts(LAST_CONTACTS)
    ]


def show_error_modal(text: str, locale: str) -> dict:
    """Why the summary cannot be shown (no access, no such case), where no chat message fits."""
    return b.modal(
        View.SHOW,
        t("show.modal.error_title", locale),
        [b.section(text)],
        close=t("show.modal.close", locale),
    )
