"""The automatic checks of gate criteria (see `criteria.py` for the rules they serve): each
reads one criterion, the engagement's `Facts` and the organisation's `RiskSettings`, and says
whether the criterion is met, why, and where the data behind it is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.urls import reverse

from .enums import CriterionCheck
from .facts import Facts, Reading, age_in_days
from .models import ChangeRequestStatus, GateCriterion, ItemStatus, RiskSettings
from .models.checklists import ChecklistList
from .models.weekly import DataHolder

MET, UNMET, STALE, MISSING = "met", "unmet", "stale", "missing"
STATES = {MET: "Met", UNMET: "Not met", STALE: "Stale", MISSING: "No evidence"}
# Each state's colour, as the page's badges draw it (app.css: .health.green/.amber/.red).
COLOURS = {MET: "green", UNMET: "red", STALE: "amber", MISSING: "amber"}


@dataclass(frozen=True)
class CriterionResult:
    """Whether one criterion is met, why, and where the data behind it is."""

    criterion: GateCriterion
    met: bool
    state: str  # "met" | "unmet" | "stale" | "missing"
    reason: str
    link: str | None = None

    @property
    def state_label(self) -> str:
        return STATES[self.state]

    @property
    def colour(self) -> str:
        return COLOURS[self.state]

    def row(self) -> dict:
        """What the readiness partial and a decision's snapshot show of it (JSON)."""
        criterion = self.criterion
        return {
            "id": criterion.pk,
            "key": criterion.key,
            "title": criterion.title,
            "kind": criterion.kind,
            "kind_label": criterion.get_kind_display(),
            "is_must": criterion.is_must,
            "weight": criterion.weight,
            "met_by": criterion.met_by,
            "met": self.met,
            "state": self.state,
            "state_label": self.state_label,
            "colour": self.colour,
            "reason": self.reason,
            "link": self.link,
        }


def figure(value: Decimal | int | None) -> str:
    """0.85, 1200 — as people write them, not 0.8500 or 1.2E+3."""
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    return str(value)


def url(name: str, *args, anchor: str = "") -> str:
    return reverse(f"engagements:{name}", args=args) + (f"#{anchor}" if anchor else "")


def check_criterion(
    criterion: GateCriterion, facts: Facts, settings: RiskSettings, today: date
) -> CriterionResult:
    """One criterion against the engagement's facts and the organisation's settings."""
    check = CHECKS.get(criterion.met_by, _evidence)
    return check(criterion, facts, settings, today)


def days(count: int) -> str:
    """ "1 day", "30 days": a number of days as a person writes it."""
    return f"{count} day" if count == 1 else f"{count} days"


def _result(criterion, state: str, reason: str, link: str | None) -> CriterionResult:
    return CriterionResult(criterion, state == MET, state, reason, link)


def _evidence(criterion, facts, settings, today) -> CriterionResult:
    link = None  # the criterion's own row on the criteria page: `gate_readiness` adds it
    if not criterion.has_evidence:
        return _result(criterion, MISSING, "No evidence given yet.", link)
    dated = criterion.evidence_on
    if dated is None:  # the database refuses this; an unsaved row may still carry it
        return _result(criterion, MISSING, "The evidence is not dated.", link)
    age = age_in_days(dated, today)
    limit = settings.evidence_max_age_days
    if age > limit:
        return _result(
            criterion,
            STALE,
            f"Evidence dated {dated:%-d %b %Y} is {days(age)} old, older than {days(limit)}: "
            "refresh it.",
            link,
        )
    return _result(criterion, MET, f"Evidence dated {dated:%-d %b %Y} ({days(age)} old).", link)


HELD_BY = {DataHolder.CLIENT: "the client's hold-out set", DataHolder.VENDOR: "vendor-held data"}


def _reading_words(kpi, reading: Reading) -> str:
    holder = HELD_BY.get(reading.held_by, reading.held_by)
    return f"{kpi.name} {figure(reading.value)} on {holder} ({reading.year}-W{reading.week:02d})"


def kpi_met(kpi, value: Decimal) -> bool:
    return value >= kpi.target if kpi.higher_is_better else value <= kpi.target


def _kpi_met(criterion, facts, settings, today) -> CriterionResult:
    engagement_id = facts.engagement.pk
    reports = url("weekly_reports", engagement_id)
    if not facts.technical_kpis:
        return _result(
            criterion, MISSING, "No technical KPI is defined.", url("detail", engagement_id)
        )
    holders = [DataHolder.CLIENT] + ([DataHolder.VENDOR] if criterion.accept_vendor_data else [])
    limit = settings.evidence_max_age_days
    results = []
    for kpi in facts.technical_kpis:
        reading = facts.latest_reading(kpi, holders)
        target = f"the target {figure(kpi.target)}"
        if reading is None:
            vendor = facts.latest_reading(kpi, [DataHolder.VENDOR])
            reason = f"No evaluation of {kpi.name} on the client's hold-out data yet"
            if vendor is not None:
                reason += (
                    f"; {_reading_words(kpi, vendor)} does not count: vendor-held evaluations "
                    "count only when this criterion accepts them"
                )
            results.append((MISSING, reason + ".", reports))
            continue
        link = url("weekly_report", engagement_id, reading.report_id)
        words = _reading_words(kpi, reading)
        week_end = reading.monday + timedelta(days=6)
        age = age_in_days(week_end, today)
        if not kpi_met(kpi, reading.value):
            side = "under" if kpi.higher_is_better else "above"
            results.append((UNMET, f"{words} is {side} {target}.", link))
        elif age > limit:
            results.append(
                (
                    STALE,
                    f"{words} meets {target}, but is {days(age)} old (older than {days(limit)}).",
                    link,
                )
            )
        else:
            results.append((MET, f"{words} meets {target}.", link))
    for state in (UNMET, MISSING, STALE, MET):  # the worst state speaks for the criterion
        worst = [r for r in results if r[0] == state]
        if worst:
            reason = " ".join(r[1] for r in results)
            return _result(criterion, state, reason, worst[0][2])
    raise AssertionError("unreachable")


def _data_readiness(criterion, facts, settings, today) -> CriterionResult:
    engagement = facts.engagement
    link = url("detail", engagement.pk)
    threshold = criterion.threshold if criterion.threshold is not None else settings.readiness_min
    readiness = engagement.data_readiness
    if readiness is None:
        return _result(
            criterion,
            MISSING,
            "Data readiness has not been assessed: set it on the engagement.",
            link,
        )
    if readiness >= threshold:
        return _result(
            criterion, MET, f"Data readiness {readiness}% meets the threshold {threshold}%.", link
        )
    return _result(
        criterion, UNMET, f"Data readiness {readiness}% is under the threshold {threshold}%.", link
    )


def _checklist(criterion, facts, settings, today) -> CriterionResult:
    link = url("handover", facts.engagement.pk)
    keys = list(criterion.checklist_keys or [])
    if keys:
        items = [facts.checklist_item(key) for key in keys]
        if any(item is None for item in items):
            gone = ", ".join(k for k, item in zip(keys, items, strict=True) if item is None)
            return _result(criterion, MISSING, f"No longer on the checklists: {gone}.", link)
    else:
        items = [item for item in facts.checklist if item.checklist == criterion.checklist]
        if not items:
            name = ChecklistList(criterion.checklist).label if criterion.checklist else "The list"
            return _result(criterion, MISSING, f"{name} has no items.", link)
    owed = [item for item in items if item.status != ItemStatus.NOT_APPLICABLE]
    open_items = [item for item in owed if item.status != ItemStatus.DONE]
    if not open_items:
        return _result(criterion, MET, f"{len(owed)} of {len(owed)} items done.", link)
    titles = "; ".join(f"“{item.title}”" for item in open_items[:5])
    more = f" and {len(open_items) - 5} more" if len(open_items) > 5 else ""
    done = len(owed) - len(open_items)
    return _result(
        criterion, UNMET, f"{done} of {len(owed)} items done; still open: {titles}{more}.", link
    )


def _change_requests(criterion, facts, settings, today) -> CriterionResult:
    link = url("change_requests", facts.engagement.pk)
    limit = (
        criterion.threshold
        if criterion.threshold is not None
        else settings.change_request_open_days
    )
    late = [
        (change, age_in_days(change.created_at, today))
        for change in facts.change_requests
        if change.status == ChangeRequestStatus.PROPOSED
    ]
    late = [(change, age) for change, age in late if age > limit]
    if not late:
        return _result(
            criterion, MET, f"No change request has been open longer than {days(limit)}.", link
        )
    words = "; ".join(f"“{change.title}” open {days(age)}" for change, age in late[:3])
    return _result(criterion, UNMET, f"Undecided beyond {days(limit)}: {words}.", link)


def _kpis_defined(criterion, facts, settings, today) -> CriterionResult:
    engagement = facts.engagement
    link = url("detail", engagement.pk)
    missing = []
    if not (engagement.business_problem or "").strip():
        missing.append("the business problem")
    if not facts.business_kpis:
        missing.append("a business KPI")
    if not facts.technical_kpis:
        missing.append("a technical KPI")
    if missing:
        return _result(criterion, UNMET, f"Still to define: {', '.join(missing)}.", link)
    return _result(
        criterion,
        MET,
        f"The business problem is written, with {len(facts.business_kpis)} business and "
        f"{len(facts.technical_kpis)} technical KPI(s).",
        link,
    )


CHECKS = {
    CriterionCheck.EVIDENCE: _evidence,
    CriterionCheck.KPI_MET: _kpi_met,
    CriterionCheck.DATA_READINESS: _data_readiness,
    CriterionCheck.CHECKLIST: _checklist,
    CriterionCheck.CHANGE_REQUESTS: _change_requests,
    CriterionCheck.KPIS_DEFINED: _kpis_defined,
}
