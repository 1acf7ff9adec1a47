"""An engagement's health (red / amber / green), derived from the risk radar and the plan
warnings, never typed in — and the stored copy the portfolio counts, filters and sorts by.

Red when any risk is red; amber when a risk is amber, the plan breaks the guide's norms or the
engagement is on hold at a gate; green otherwise. A stopped engagement is red, a completed
one green. The reasons are the risks' reasons, the worst first.

The engagement's own page computes it live (`engagement_health`). The portfolio reads what
`refresh_health` stored for insiders (`Engagement.health`, `health_reason`, `risk_titles`,
`health_refreshed_at`), kept fresh three ways: after the commit of any write to an
engagement's data (`schedule_refresh`, from the receivers in `connect_receivers`), hourly
from beat (`tasks.refresh_all_health`: time passes, gates fall overdue), and at the end of
`seed_demo`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from handover.bulk import update_fields

from .facts import Facts, load_facts
from .milestone_norms import milestones_by_phase
from .models import Engagement, EngagementStatus, PhaseStatus
from .models.core import DERIVED_FIELDS
from .models.radar import RiskSettings
from .money import budget_approved_now
from .planning import plan_warnings
from .risks import Risk, risk_radar
from .sparklines import spark_since, stored_trend

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Health:
    colour: str  # "green" | "amber" | "red"
    reasons: list[str] = field(default_factory=list)  # the risks' reasons, the worst first
    warnings: list[str] = field(default_factory=list)  # where the plan breaks the norms
    risks: list[Risk] = field(default_factory=list)  # the open risks, red first

    @property
    def explanation(self) -> list[str]:
        """Everything behind the colour, for a tooltip or a PDF."""
        return self.reasons + [f"Plan: {warning}" for warning in self.warnings]

    @property
    def label(self) -> str:
        return self.colour.capitalize()

    @property
    def notes(self) -> list[str]:
        """The reasons that are not a risk's (on hold, starts on…): the engagement page lists
        these under the colour, and the risks in the radar panel."""
        from_risks = {risk.reason for risk in self.risks}
        return [reason for reason in self.reasons if reason not in from_risks]

    @property
    def top_reason(self) -> str:
        """The one reason a list shows beside the colour: the worst risk's, else the first
        plan warning, else what the engagement's state says."""
        explanation = self.explanation
        return explanation[0] if explanation else ""


def prefetched_milestones(engagement: Engagement) -> dict[int, list] | None:
    """The engagement's milestones by phase number, when the query prefetched them
    (`for_portfolio`, `with_plan`); None otherwise, so the milestone norms are skipped rather
    than costing a query per row."""
    cache = getattr(engagement, "_prefetched_objects_cache", {})
    if "milestones" not in cache:
        return None
    return milestones_by_phase(engagement.phase_list, cache["milestones"])


def engagement_health(
    engagement: Engagement,
    facts: Facts,
    settings: RiskSettings,
    today: date,
    *,
    with_money: bool,
) -> Health:
    """The engagement's health from its radar (`risks.risk_radar`) and plan warnings (with
    the milestone norms, from `facts.milestones`). Reads the engagement's prefetched phases.
    `with_money` False (vendor contacts): no money risk, and no internal risk is kept."""
    if engagement.status == EngagementStatus.STOPPED:
        return Health("red", ["Stopped by a No-Go decision."])
    if engagement.status == EngagementStatus.COMPLETED:
        return Health("green", ["Completed: handed over."])
    risks = risk_radar(facts, settings, today, with_money=with_money)
    if not with_money:
        risks = [risk for risk in risks if not risk.internal]
    red = [risk.reason for risk in risks if risk.is_red]
    amber = [risk.reason for risk in risks if not risk.is_red]
    notes = []
    if engagement.status == EngagementStatus.ON_HOLD:
        notes.append("On hold at a gate.")
    by_phase = milestones_by_phase(engagement.phase_list, facts.milestones)
    warnings = plan_warnings(engagement.phase_list, by_phase)
    if red:
        colour = "red"
    elif amber or warnings or notes:
        # A board must not read "Green" beside a 14-week fixed-price PoC.
        colour = "amber"
    else:
        colour = "green"
    reasons = red + notes + amber
    if engagement.status == EngagementStatus.PLANNED:
        reasons.append(f"Starts on {engagement.start_date:%-d %b %Y}.")
    return Health(colour, reasons, warnings, risks)


def healths_for(engagements: Iterable[Engagement], membership, today: date) -> dict[int, Health]:
    """{engagement id: live health} as `membership` may read it (money and internal risks
    only for insiders), in a fixed number of queries: the facts and the settings. The
    engagements come restricted, with their phases prefetched."""
    engagements = list(engagements)
    if not engagements:
        return {}
    with_money = membership.can("engagement.view_internal")
    facts = load_facts(engagements, today, with_money=with_money)
    settings = RiskSettings.for_organisation(membership.organisation_id)
    return {
        e.pk: engagement_health(e, facts[e.pk], settings, today, with_money=with_money)
        for e in engagements
    }


def health_for(engagement: Engagement, membership, today: date) -> Health:
    """One engagement's live health, as `membership` may read it (see `healths_for`)."""
    return healths_for([engagement], membership, today)[engagement.pk]


# --- The stored copy ---------------------------------------------------------------------

REFRESH_BATCH = 200
STORED_FIELDS = DERIVED_FIELDS  # what the refresh writes: the engagement's derived fields
REASON_LENGTH = Engagement._meta.get_field("health_reason").max_length


def refresh_health(engagement_ids: Iterable[int], today: date | None = None) -> int:
    """Recompute and store the insiders' health of these engagements (money included), in
    batches of 200: a fixed number of queries per batch. Returns how many were stored. With
    it, the figures the portfolio sorts, sums and prints by (`stored_figures`): the next
    gate's due date, the spend to date, the budget approved, the running phase's number and
    the KPI trend.

    Written in bulk (`handover.bulk.update_fields`), so no history rows and no signals: the
    stored health is a cache of what the audited data (phases, decisions, reports,
    invoices…) already says, and an hourly refresh would bury the engagement's real changes
    in the activity feed."""
    today = today or timezone.localdate()
    ids = sorted(set(engagement_ids))
    settings_by_org: dict[int, RiskSettings] = {}
    stored = 0
    for start in range(0, len(ids), REFRESH_BATCH):
        engagements = list(
            Engagement.objects.filter(pk__in=ids[start : start + REFRESH_BATCH]).prefetch_related(
                "phases"
            )
        )
        missing = {e.organisation_id for e in engagements} - set(settings_by_org)
        if missing:
            for row in RiskSettings.objects.filter(organisation_id__in=missing):
                settings_by_org[row.organisation_id] = row
        facts = load_facts(engagements, today, with_money=True)
        now = timezone.now()
        for engagement in engagements:
            settings = settings_by_org.get(engagement.organisation_id) or RiskSettings.defaults()
            health = engagement_health(
                engagement, facts[engagement.pk], settings, today, with_money=True
            )
            engagement.health = health.colour
            engagement.health_reason = _clip(health.top_reason)
            engagement.risk_titles = [risk.title for risk in health.risks]
            engagement.health_refreshed_at = now
            stored_figures(engagement, facts[engagement.pk])
        update_fields(engagements, STORED_FIELDS)
        stored += len(engagements)
    return stored


def next_gate_due(engagement: Engagement) -> date | None:
    """The planned end of the phase running now (its gate closes it) while the engagement is
    active or on hold; None before it starts and once it is closed. Reads prefetched phases."""
    if engagement.status not in (EngagementStatus.ACTIVE, EngagementStatus.ON_HOLD):
        return None
    running = [p for p in engagement.phase_list if p.status == PhaseStatus.ACTIVE]
    return min(running, key=lambda p: p.number).planned_end if running else None


def current_phase_number(engagement: Engagement) -> int | None:
    """The number of the phase running now (the lowest, should two be active), None when
    none is. Reads prefetched phases."""
    running = [p.number for p in engagement.phase_list if p.status == PhaseStatus.ACTIVE]
    return min(running) if running else None


def stored_figures(engagement: Engagement, facts: Facts) -> None:
    """Set what the portfolio reads instead of computing per row: `next_gate_due`,
    `spent_to_date` (invoices), `budget_approved` (the budget plus approved change
    requests' money, `money.budget_approved_now`), `current_phase_number` and `kpi_trend`
    (the sparkline's data, `sparklines.stored_trend`). `facts` loaded with money."""
    engagement.next_gate_due = next_gate_due(engagement)
    engagement.spent_to_date = facts.spent or Decimal(0)
    engagement.budget_approved = budget_approved_now(engagement.budget, facts.change_requests)
    engagement.current_phase_number = current_phase_number(engagement)
    engagement.kpi_trend = stored_trend(facts, spark_since(facts.today))


def refresh_all_health(today: date | None = None) -> int:
    """Every engagement's stored health: what beat runs hourly, since time alone makes gates
    and milestones overdue."""
    return refresh_health(list(Engagement.objects.values_list("pk", flat=True)), today)


def _clip(text: str) -> str:
    return text if len(text) <= REASON_LENGTH else text[: REASON_LENGTH - 1] + "…"


class _Pending:
    """What one connection's writes asked to refresh, not yet refreshed."""

    def __init__(self):
        self.engagements: set[int] = set()
        self.organisations: set[int] = set()


def _flush(connection) -> None:
    """Refresh what is pending on `connection`. Every write registers this; the first to run
    after a commit takes everything, the others find nothing: one refresh per transaction."""
    pending = getattr(connection, "_health_pending", None)
    if pending is None or not (pending.engagements or pending.organisations):
        return
    connection._health_pending = None
    ids = set(pending.engagements)
    if pending.organisations:
        ids.update(
            Engagement.objects.filter(organisation_id__in=pending.organisations).values_list(
                "pk", flat=True
            )
        )
    refresh_health(ids)


def schedule_refresh(engagement_ids: Iterable[int] = (), organisation_id: int | None = None):
    """Refresh these engagements' (or the organisation's) stored health once the current
    transaction commits, at once outside one. However many rows a transaction writes, the
    refresh runs once, over all of them. Ids from a rolled-back transaction are refreshed
    with the next commit: harmless, a refresh only recomputes."""
    connection = transaction.get_connection()
    pending = getattr(connection, "_health_pending", None)
    if pending is None:
        pending = connection._health_pending = _Pending()
    pending.engagements.update(pk for pk in engagement_ids if pk is not None)
    if organisation_id is not None:
        pending.organisations.add(organisation_id)
    # Robust: a failed refresh is logged, never turned into an error for a write that has
    # already committed (beat repairs it within the hour).
    transaction.on_commit(partial(_flush, connection), robust=True)


# --- Receivers: which writes change an engagement's health --------------------------------


def _engagement_of(instance) -> int | None:
    if isinstance(instance, Engagement):
        return instance.pk
    if hasattr(instance, "engagement_id"):
        return instance.engagement_id
    if hasattr(instance, "gate_id"):  # GateDecision: its gate is loaded where it is saved
        return instance.gate.engagement_id
    if hasattr(instance, "report_id"):  # ReportMetric
        return instance.report.engagement_id
    return None


def _changed(sender, instance, **kwargs) -> None:
    if kwargs.get("raw"):  # loaddata
        return
    try:
        engagement_id = _engagement_of(instance)
    except Exception:  # a parent already deleted in a cascade: nothing left to refresh
        logger.debug("No engagement for %r", instance, exc_info=True)
        return
    schedule_refresh([engagement_id])


def _settings_changed(sender, instance, **kwargs) -> None:
    if not kwargs.get("raw"):
        schedule_refresh(organisation_id=instance.organisation_id)


def connect_receivers() -> None:
    """Called from `EngagementsConfig.ready()`."""
    from .models import (
        ChangeRequest,
        ChecklistItem,
        GateCondition,
        GateCriterion,
        GateDecision,
        Invoice,
        Kpi,
        Milestone,
        Phase,
        PlanBaseline,
        ReportMetric,
        WeeklyReport,
    )

    for model in (
        Engagement,
        Phase,
        GateDecision,
        Kpi,
        Milestone,
        ChecklistItem,
        WeeklyReport,
        ReportMetric,
        Invoice,
        ChangeRequest,
        GateCondition,
        GateCriterion,
        PlanBaseline,
    ):
        uid = f"engagement-health-{model._meta.label_lower}"
        post_save.connect(_changed, sender=model, dispatch_uid=uid)
        post_delete.connect(_changed, sender=model, dispatch_uid=uid)
    post_save.connect(_settings_changed, sender=RiskSettings, dispatch_uid="engagement-health-rs")
