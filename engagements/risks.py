"""The risk radar: what the engagement's own data says could sink it, computed, never typed.

`risk_radar(facts, settings, today, with_money=…)` is a pure function over `Facts`
(`engagements.facts`, with the engagement's prefetched phases) and the organisation's
`RiskSettings`. Each risk says why it fired, with numbers, and links to the data behind it.
The rules it shares with the rest of the app are not restated here: the milestone norms
(`milestone_norms.lacks_hardening`, R25), scope creep (`money.scope_creep_warnings`, R26, with
the organisation's thresholds), the budget and forecast (`money`), the missing weeks
(`weekly_overview`, through `Facts.missing_weeks`).

Severity, amber → red: no usable data (under the minimum, or not assessed past half the PoC
→ under half the minimum); PoC treated as production (amber only); scope creep (a threshold
→ twice the count); an undecided change request (the allowed days → twice that); MLOps
ignored (open past the share of development → still open in handover); handoff trap (the
weeks before handover → past half of it); hours-only or missing reports (the threshold →
twice it); budget overrun (the forecast → spent, beyond approved × (1 + tolerance)); schedule
slip (the next gate overdue at all, a milestone or the plan's end late by the threshold →
the gate past the threshold, the others twice it); an overdue condition (always red). The
gate's "overdue at all is amber" keeps the health the app showed before the radar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.urls import reverse

from .baselines import baseline_drift, plan_drift_days
from .enums import ConditionStatus, EngagementStatus, PhaseStatus
from .facts import Facts, age_in_days
from .milestone_norms import lacks_hardening, milestones_by_phase
from .models.checklists import ChecklistList, ItemStatus
from .models.radar import RiskSettings
from .money import (
    budget_approved_now,
    change_totals,
    forecast,
    is_closed,
    plan_end,
    scope_creep_warnings,
)
from .templatetags.formatting import money as money_text
from .weekly_overview import monday_of, week_ranges

RED, AMBER = "red", "amber"
HOURS_ONLY_WINDOW_WEEKS = 8
_DONE = (ItemStatus.DONE, ItemStatus.NOT_APPLICABLE)
_LATE_MILESTONE = ("planned", "in_progress", "missed")


@dataclass(frozen=True)
class Risk:
    """One open risk. `internal`: it speaks of money, so readers without
    `engagement.view_internal` never see it."""

    key: str
    title: str
    reason: str
    severity: str  # "red" | "amber"
    link: str  # the URL of the data behind it
    internal: bool = False

    @property
    def is_red(self) -> bool:
        return self.severity == RED


def risk_radar(
    facts: Facts, settings: RiskSettings, today: date, *, with_money: bool
) -> list[Risk]:
    """The engagement's open risks, the red ones first (each group in the table's order).
    A stopped or completed engagement has none: there is nothing left to steer."""
    engagement = facts.engagement
    if is_closed(engagement.status):
        return []
    risks = [
        _no_usable_data(facts, settings, today),
        _poc_as_production(facts),
        _scope_creep(facts, settings, with_money),
        _change_request_open(facts, settings, today),
        _mlops_ignored(facts, settings, today),
        _handoff_trap(facts, settings, today),
        _hours_only(facts, settings, today),
        _missing_reports(facts, settings),
        _budget_overrun(facts, settings, today) if with_money else None,
        _schedule_slip(facts, settings, today),
        _overdue_conditions(facts, today),
        # Vendor red flags plug in here once vendor due diligence exists (the vendors issue).
    ]
    risks = [risk for risk in risks if risk is not None]
    return sorted(risks, key=lambda risk: 0 if risk.is_red else 1)


# --- Helpers ---------------------------------------------------------------------------


def _url(name: str, pk: int, anchor: str = "") -> str:
    return reverse(f"engagements:{name}", args=[pk]) + anchor


def _phases(facts: Facts) -> dict[int, object]:
    return {p.number: p for p in facts.engagement.phase_list if p.status != PhaseStatus.CANCELLED}


def _share_through(phase, today: date) -> float:
    """How far through its planned length a phase is today (0 before, above 1 after)."""
    length = (phase.planned_end - phase.planned_start).days
    return (today - phase.planned_start).days / length if length > 0 else 1.0


# --- The risks -------------------------------------------------------------------------


def _no_usable_data(facts: Facts, settings: RiskSettings, today: date) -> Risk | None:
    engagement = facts.engagement
    readiness, minimum = engagement.data_readiness, settings.readiness_min
    # Gate 1's criteria: every insider may read them (the edit page is owners' only), and the
    # data-readiness criterion there says what was assessed and where to change it.
    link = reverse("engagements:gate_criteria", args=[engagement.pk, 1])
    title = "No usable data"
    if readiness is not None:
        if readiness >= minimum:
            return None
        severity = RED if readiness < minimum / 2 else AMBER
        reason = (
            f"Data readiness is {readiness}%, under the {minimum}% the organisation needs: the "
            "vendor will spend months on data work at engineering rates."
        )
        return Risk("no_usable_data", title, reason, severity, link)
    poc = _phases(facts).get(1)
    if poc is None or poc.status == PhaseStatus.PLANNED or _share_through(poc, today) < 0.5:
        return None
    reason = (
        "Data readiness has not been assessed, and Discovery & PoC is past half its length "
        f"({_share_through(poc, today):.0%} through): assess it before deciding to build."
    )
    return Risk("no_usable_data", title, reason, AMBER, link)


def _poc_as_production(facts: Facts) -> Risk | None:
    phases = list(_phases(facts).values())
    grouped = milestones_by_phase(facts.engagement.phase_list, facts.milestones)
    if not lacks_hardening(phases, grouped):
        return None
    reason = (
        "No production-hardening milestone before the production phase: PoCs use hardcoded "
        "thresholds and lack error handling. Plan one in Development & Iteration."
    )
    link = _url("milestones", facts.engagement.pk)
    return Risk("poc_as_production", "PoC treated as production", reason, AMBER, link)


def _scope_creep(facts: Facts, settings: RiskSettings, with_money: bool) -> Risk | None:
    engagement = facts.engagement
    totals = change_totals(facts.change_requests, with_money=with_money)
    end = plan_end(engagement.phase_list)
    plan_weeks = Decimal((end - engagement.start_date).days) / 7 if end else Decimal(0)
    budget = engagement.budget if with_money else None
    share = Decimal(settings.change_request_share) / 100
    count = settings.change_request_count
    warnings = scope_creep_warnings(totals, plan_weeks, budget, count=count, share=share)
    if not warnings:
        return None
    without_money = scope_creep_warnings(totals, plan_weeks, None, count=count, share=share)
    severity = RED if totals.approved >= 2 * count else AMBER
    return Risk(
        "scope_creep",
        "Scope creep",
        " ".join(warnings),
        severity,
        _url("change_requests", engagement.pk),
        internal=len(without_money) < len(warnings),
    )


def _change_request_open(facts: Facts, settings: RiskSettings, today: date) -> Risk | None:
    limit = settings.change_request_open_days
    ages = sorted(
        (
            (age_in_days(cr.created_at, today), cr.title)
            for cr in facts.change_requests
            if cr.status == "proposed"
        ),
        reverse=True,
    )
    old = [(age, title) for age, title in ages if age > limit]
    if not old:
        return None
    age, title = old[0]
    more = f" (and {len(old) - 1} more)" if len(old) > 1 else ""
    reason = (
        f"Change request “{title}” has waited {age} days for a decision{more}; the organisation "
        f"allows {limit}. Decide it: an open request is scope nobody has agreed to."
    )
    severity = RED if age > 2 * limit else AMBER
    link = _url("change_requests", facts.engagement.pk)
    return Risk("change_request_open", "Change request undecided", reason, severity, link)


def _open_items(facts: Facts, checklist: str) -> list:
    return [i for i in facts.checklist if i.checklist == checklist and i.status not in _DONE]


def _titles(items: list, shown: int = 3) -> str:
    titles = ", ".join(item.title for item in items[:shown])
    return titles + (f" and {len(items) - shown} more" if len(items) > shown else "")


def _mlops_ignored(facts: Facts, settings: RiskSettings, today: date) -> Risk | None:
    phases = _phases(facts)
    development, handover = phases.get(2), phases.get(3)
    items = _open_items(facts, ChecklistList.MLOPS)
    if not items:
        return None
    total = sum(1 for i in facts.checklist if i.checklist == ChecklistList.MLOPS)
    open_text = f"{len(items)} of {total} MLOps items are still open ({_titles(items)})"
    link = _url("handover", facts.engagement.pk)
    if handover is not None and handover.status == PhaseStatus.ACTIVE:
        reason = (
            f"{open_text} in Transition & Handover: experiment tracking, versioning and "
            "monitoring belong in the architecture from sprint 1, not the final week."
        )
        return Risk("mlops_ignored", "MLOps ignored", reason, RED, link)
    if development is None or development.status != PhaseStatus.ACTIVE:
        return None
    through = _share_through(development, today)
    if through * 100 < settings.mlops_development_share:
        return None
    reason = (
        f"{open_text}, {min(through, 1):.0%} of the way through Development & Iteration "
        f"(the organisation expects them in place by {settings.mlops_development_share}%)."
    )
    return Risk("mlops_ignored", "MLOps ignored", reason, AMBER, link)


def _handoff_trap(facts: Facts, settings: RiskSettings, today: date) -> Risk | None:
    handover = _phases(facts).get(3)
    if handover is None or handover.status not in (PhaseStatus.PLANNED, PhaseStatus.ACTIVE):
        return None
    items = _open_items(facts, ChecklistList.KNOWLEDGE_TRANSFER)
    if not items:
        return None
    link = _url("handover", facts.engagement.pk)
    title = "Handoff trap"
    if handover.status == PhaseStatus.ACTIVE:
        through = _share_through(handover, today)
        reason = (
            f"{len(items)} knowledge-transfer items are still open ({_titles(items)}) with "
            f"Transition & Handover {min(through, 1):.0%} through: without them our team "
            "cannot retrain or debug the model once the vendor leaves."
        )
        return Risk("handoff_trap", title, reason, RED if through > 0.5 else AMBER, link)
    starts_in = (handover.planned_start - today).days
    if starts_in > settings.handoff_weeks * 7:
        return None
    reason = (
        f"{len(items)} knowledge-transfer items are still open ({_titles(items)}) and "
        f"Transition & Handover starts in {max(starts_in, 0)} days "
        f"(the organisation warns {settings.handoff_weeks} weeks ahead)."
    )
    return Risk("handoff_trap", title, reason, AMBER, link)


def _hours_only(facts: Facts, settings: RiskSettings, today: date) -> Risk | None:
    since = monday_of(today) - timedelta(weeks=HOURS_ONLY_WINDOW_WEEKS)
    weak = [
        r
        for r in facts.reports
        if r.hours_only and date.fromisocalendar(r.year, r.week, 1) >= since
    ]
    threshold = settings.hours_only_reports
    if len(weak) < threshold:
        return None
    reason = (
        f"{len(weak)} of the last {HOURS_ONLY_WINDOW_WEEKS} weeks' reports carry hours but no "
        f"quality score, metric or experiment (the warning starts at {threshold}): the guide's "
        "sign of a weak vendor."
    )
    severity = RED if len(weak) >= 2 * threshold else AMBER
    link = _url("weekly_reports", facts.engagement.pk)
    return Risk("hours_only_reports", "Hours-only reports", reason, severity, link)


def _missing_reports(facts: Facts, settings: RiskSettings) -> Risk | None:
    missing, threshold = facts.missing_weeks, settings.missing_report_weeks
    if len(missing) < threshold:
        return None
    ranges = week_ranges(missing)
    shown = ", ".join(ranges[:3]) + (f" and {len(ranges) - 3} more" if len(ranges) > 3 else "")
    reason = (
        f"{len(missing)} weeks without a status report ({shown}); the warning starts at "
        f"{threshold}."
    )
    severity = RED if len(missing) >= 2 * threshold else AMBER
    link = _url("weekly_reports", facts.engagement.pk)
    return Risk("missing_reports", "Missing reports", reason, severity, link)


def _budget_overrun(facts: Facts, settings: RiskSettings, today: date) -> Risk | None:
    engagement = facts.engagement
    if facts.spent is None or engagement.budget is None:
        return None
    approved = budget_approved_now(engagement.budget, facts.change_requests)
    tolerance = Decimal(settings.budget_overrun_share) / 100
    limit = approved * (1 + tolerance)
    currency = engagement.currency
    allowed = f"{money_text(approved, currency)} approved"
    if settings.budget_overrun_share:
        allowed += f" + {settings.budget_overrun_share}% tolerance"
    link = _url("invoices", engagement.pk)
    title = "Budget overrun"
    if facts.spent > limit:
        share = facts.spent / approved if approved > 0 else None
        of = f" ({share:.0%} of it)" if share is not None else ""
        reason = f"Spent {money_text(facts.spent, currency)}, beyond {allowed}{of}."
        return Risk("budget_overrun", title, reason, RED, link, internal=True)
    end = plan_end(engagement.phase_list)
    if end is None:
        return None
    outlook = forecast(facts.spent, engagement.start_date, end, today, False)
    if outlook.amount is None or outlook.amount <= limit:
        return None
    rate, amount = money_text(outlook.run_rate, currency), money_text(outlook.amount, currency)
    reason = (
        f"At the current run rate ({rate} a week) the forecast is {amount}, beyond {allowed}; "
        f"spent so far {money_text(facts.spent, currency)}."
    )
    return Risk("budget_overrun", title, reason, AMBER, link, internal=True)


def _schedule_slip(facts: Facts, settings: RiskSettings, today: date) -> Risk | None:
    engagement = facts.engagement
    limit = settings.schedule_slip_days
    reasons, severity = [], AMBER
    phase = engagement.current_phase
    running = (EngagementStatus.ACTIVE, EngagementStatus.ON_HOLD)
    anchor = ""
    if phase is not None and engagement.status in running and today > phase.planned_end:
        late = (today - phase.planned_end).days
        severity = RED if late > limit else severity
        anchor = f"#gate-{phase.number}"
        reasons.append(
            f"{phase.name} is {late} days past its planned end; gate {phase.number} is due."
        )
    # Milestones of the phases still to run: a finished phase's leftovers are history.
    live = {p.pk for p in engagement.phase_list if p.status in ("planned", "active")}
    late_milestones = [
        (m, (today - m.due_date).days)
        for m in facts.milestones
        if m.phase_id in live and m.status in _LATE_MILESTONE and (today - m.due_date).days >= limit
    ]
    if late_milestones:
        worst, days = max(late_milestones, key=lambda pair: pair[1])
        more = f" (and {len(late_milestones) - 1} more)" if len(late_milestones) > 1 else ""
        severity = RED if days >= 2 * limit else severity
        reasons.append(f"Milestone “{worst.title}” is {days} days overdue{more}.")
    baseline = facts.baseline
    days = plan_drift_days(baseline_drift(baseline, engagement.phase_list)) if baseline else None
    if days is not None and days >= limit:
        severity = RED if days >= 2 * limit else severity
        reasons.append(
            f"The plan now ends {days} days after the baseline approved on "
            f"{baseline.approved_on:%-d %b %Y}."
        )
    if not reasons:
        return None
    if not anchor and late_milestones and len(reasons) == 1:
        link = _url("milestones", engagement.pk)
    else:
        link = _url("detail", engagement.pk, anchor or "#phases-heading")
    return Risk("schedule_slip", "Schedule slip", " ".join(reasons), severity, link)


def _overdue_conditions(facts: Facts, today: date) -> Risk | None:
    overdue = [
        c for c in facts.open_conditions if c.status == ConditionStatus.OPEN and c.due_date < today
    ]
    if not overdue:
        return None
    first = overdue[0]
    days = (today - first.due_date).days
    gate = getattr(getattr(first, "decision", None), "gate", None)
    at = f" of gate {gate.number}'s Conditional Go" if gate is not None else ""
    more = f" (and {len(overdue) - 1} more)" if len(overdue) > 1 else ""
    reason = (
        f"Condition “{first.title}”{at} is {days} days overdue{more}: the next gate cannot be "
        "decided until it is done."
    )
    link = _url("conditions", facts.engagement.pk)
    return Risk("overdue_conditions", "Overdue condition", reason, RED, link)
