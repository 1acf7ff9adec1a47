"""Weekly status reports as a workflow: the rules every report meets (one function, used by the
form and the API alike), sending a week's report, amending it, and the weeks nobody reported.

No draft state. A report is what the vendor says about a week, visible to the client as soon as
it is sent, and a correction is an amendment (a new version; the earlier ones stay readable).
The vendor's pipeline may send the current week's report again and again as the week goes
(`PUT`): each change becomes a new version, and sending the same content again writes nothing.
A draft/submitted state would add a second way to change a report and a hidden period in which
the client sees nothing; versions give the pipeline the same freedom and keep the trail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.templatetags.people import person

from .models import (
    DataHolder,
    Engagement,
    Experiment,
    ExperimentOutcome,
    ReportMetric,
    ReportStatus,
    WeeklyReport,
)
from .models.weekly import MAX_EXPERIMENTS, MAX_HOURS, MAX_METRICS, QUALITY_SCALE, week_label
from .weekly_overview import iso_week, monday_of

MAX_METRIC_VALUE = Decimal("1e12")  # the column holds 12 digits before the point


@dataclass(frozen=True)
class MetricInput:
    name: str
    value: Decimal
    dataset_name: str
    dataset_version: str
    held_by: str = DataHolder.CLIENT


@dataclass(frozen=True)
class ExperimentInput:
    hypothesis: str
    result: str
    outcome: str = ExperimentOutcome.KEPT


@dataclass
class ReportInput:
    """A report as sent, from the form or the API, before any rule is checked."""

    year: int
    week: int
    summary: str
    status: str = ReportStatus.ON_SCHEDULE
    status_reason: str = ""
    hours: Decimal | None = None
    data_quality_score: Decimal | None = None
    blockers: str = ""
    decisions: str = ""
    metrics: list[MetricInput] = field(default_factory=list)
    experiments: list[ExperimentInput] = field(default_factory=list)
    amendment_note: str = ""
    attachment: object = None  # an uploaded file (the form only)

    def content(self) -> tuple:
        """What the report says, to tell whether sending it again changes anything."""
        return (
            self.status,
            self.status_reason.strip(),
            self.summary.strip(),
            _figure(self.hours),
            _figure(self.data_quality_score),
            self.blockers.strip(),
            self.decisions.strip(),
            tuple(
                (m.name.strip(), _figure(m.value), m.dataset_name, m.dataset_version, m.held_by)
                for m in self.metrics
            ),
            tuple((e.hypothesis.strip(), e.result.strip(), e.outcome) for e in self.experiments),
        )


def _figure(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).normalize()


def content_of(report: WeeklyReport) -> tuple:
    """`ReportInput.content()` of a stored version (its metrics and experiments are read)."""
    return as_input(report).content()


def as_input(report: WeeklyReport) -> ReportInput:
    """A stored version as input: what the amendment form starts from."""
    return ReportInput(
        year=report.year,
        week=report.week,
        summary=report.summary,
        status=report.status,
        status_reason=report.status_reason,
        hours=report.hours,
        data_quality_score=report.data_quality_score,
        blockers=report.blockers,
        decisions=report.decisions,
        metrics=[
            MetricInput(m.name, m.value, m.dataset_name, m.dataset_version, m.held_by)
            for m in report.metrics.all()
        ],
        experiments=[
            ExperimentInput(e.hypothesis, e.result, e.outcome) for e in report.experiments.all()
        ],
    )


# --- The rules ----------------------------------------------------------------------------

Loc = tuple  # ("week",), ("metrics", 1, "value"): where an error belongs, as the API's 422 says


def report_errors(engagement: Engagement, data: ReportInput, today: date) -> list[tuple[Loc, str]]:
    """Every rule a report must meet, as (where, message) pairs; empty when it may be sent.
    The form and the API both call this (through `submit_report`/`amend_report`)."""
    errors: list[tuple[Loc, str]] = []
    errors += _week_errors(engagement, data.year, data.week, today)
    if not data.summary.strip():
        errors.append((("summary",), "Write a short summary of the week."))
    if data.status not in ReportStatus.values:
        errors.append((("status",), "Choose on schedule, behind or stuck."))
    elif data.status == ReportStatus.STUCK and not data.status_reason.strip():
        errors.append((("status_reason",), "Say why the work is stuck: what would unblock it?"))
    if data.hours is not None:
        if not data.hours.is_finite() or data.hours < 0:
            errors.append((("hours",), "Hours cannot be negative."))
        elif data.hours > MAX_HOURS:
            errors.append((("hours",), f"More than {MAX_HOURS:,} hours in a week? Check it."))
        elif _decimals(data.hours) > 1:
            errors.append((("hours",), "Give hours to one decimal place at most (37.5)."))
    score = data.data_quality_score
    low, high = QUALITY_SCALE
    if score is not None:
        if not score.is_finite() or not low <= score <= high:
            errors.append(
                (
                    ("data_quality_score",),
                    f"The data-quality score is on a {low}–{high} scale (the share of records "
                    f"passing validation); {score} is outside it.",
                )
            )
        elif _decimals(score) > 1:
            errors.append((("data_quality_score",), "One decimal place at most (97.5)."))
    errors += _metric_errors(data.metrics)
    if len(data.experiments) > MAX_EXPERIMENTS:
        errors.append((("experiments",), f"{MAX_EXPERIMENTS} experiments a week at most."))
    for i, experiment in enumerate(data.experiments):
        if experiment.outcome not in ExperimentOutcome.values:
            errors.append((("experiments", i, "outcome"), "Say whether it was kept or dropped."))
        for name in ("hypothesis", "result"):
            if not getattr(experiment, name).strip():
                errors.append((("experiments", i, name), f"Give the experiment's {name}."))
    return errors


def _decimals(value: Decimal) -> int:
    return max(-value.normalize().as_tuple().exponent, 0)


def _week_errors(engagement, year: int, week: int, today: date) -> list[tuple[Loc, str]]:
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        return [(("week",), f"{year} has no ISO week {week}: weeks run 1–52 (53 in some years).")]
    label = week_label(year, week)
    if monday > monday_of(today):
        current = week_label(*iso_week(today))
        return [
            (
                ("week",),
                f"Week {label} has not started yet (this is {current}): report on a week once "
                "it is under way.",
            )
        ]
    start = engagement.start_date
    if monday + timedelta(days=6) < start:
        return [
            (
                ("week",),
                f"Week {label} is before the engagement started ({start:%-d %b %Y}, week "
                f"{week_label(*iso_week(start))}).",
            )
        ]
    return []


def _metric_errors(metrics: list[MetricInput]) -> list[tuple[Loc, str]]:
    errors: list[tuple[Loc, str]] = []
    if len(metrics) > MAX_METRICS:
        errors.append((("metrics",), f"{MAX_METRICS} metrics a week at most."))
    seen: dict[tuple[str, str], int] = {}
    for i, metric in enumerate(metrics):
        if not metric.name.strip():
            errors.append((("metrics", i, "name"), "Name the metric (F1, precision, latency…)."))
        value = metric.value
        if not isinstance(value, Decimal) or not value.is_finite():
            errors.append((("metrics", i, "value"), "The value must be a number, such as 0.87."))
        elif abs(value) >= MAX_METRIC_VALUE or _decimals(value) > 4:
            errors.append(
                (("metrics", i, "value"), "Too many digits: 12 before the point, 4 after.")
            )
        if not metric.dataset_name.strip() or not metric.dataset_version.strip():
            errors.append(
                (
                    ("metrics", i, "dataset_name"),
                    "Name the evaluation data set and its version: a score means little "
                    "without them.",
                )
            )
        if metric.held_by not in DataHolder.values:
            errors.append(
                (("metrics", i, "held_by"), "Say who holds the data: the client or the vendor.")
            )
        key = (metric.name.strip().casefold(), metric.held_by)
        if key in seen:
            holder = DataHolder(metric.held_by).label if metric.held_by in DataHolder.values else ""
            errors.append(
                (
                    ("metrics", i, "name"),
                    f"{metric.name.strip()} on the {holder.lower()} is already reported above: "
                    "one value per metric and data holder.",
                )
            )
        seen.setdefault(key, i)
    return errors


# --- Writing ------------------------------------------------------------------------------


class ReportRefused(Exception):
    """A report that cannot be written: `errors` (where, message) make it a 422; `conflict`
    (a second report for a week, or an amendment of a version no longer current) a 409."""

    def __init__(self, errors: list[tuple[Loc, str]] | None = None, conflict: str = ""):
        self.errors = errors or []
        self.conflict = conflict
        super().__init__(conflict or "; ".join(message for _, message in self.errors))

    @property
    def status(self) -> int:
        return 409 if self.conflict else 422


def _existing_message(report: WeeklyReport) -> str:
    return (
        f"There is already a report for week {report.week_label} (sent "
        f"{timezone.localtime(report.submitted_at):%-d %b %Y} by {person(report.submitted_by)}): "
        "amend it instead of sending a second one."
    )


def submit_report(engagement: Engagement, data: ReportInput, by, today: date) -> WeeklyReport:
    """Write the week's first report with its metrics and experiments, all or nothing. A
    week that already has one is refused (409); a report breaking a rule too (422)."""
    errors = report_errors(engagement, data, today)
    if errors:
        raise ReportRefused(errors)
    try:
        with transaction.atomic():
            # Serialise the engagement's writers: two posts for the same week cannot both pass.
            list(Engagement.objects.select_for_update().filter(pk=engagement.pk).values_list("pk"))
            existing = _current(engagement, data.year, data.week)
            if existing is not None:
                raise ReportRefused(conflict=_existing_message(existing))
            return _write(engagement, data, by, version=1)
    except IntegrityError as exc:
        _refuse_duplicate_metric(exc)
        # The constraint caught what the check raced with.
        existing = _current(engagement, data.year, data.week)
        if existing is None:
            raise
        raise ReportRefused(conflict=_existing_message(existing)) from None


def amend_report(report: WeeklyReport, data: ReportInput, by, today: date) -> WeeklyReport:
    """Record a correction: the new version becomes current and `report` stays readable. The
    week is the report's own; an amendment of a version already amended is refused (409)."""
    data.year, data.week = report.year, report.week
    errors = report_errors(report.engagement, data, today)
    if errors:
        raise ReportRefused(errors)
    try:
        with transaction.atomic():
            locked = WeeklyReport.objects.select_for_update().get(pk=report.pk)
            if not locked.is_current:
                latest = _current(report.engagement, report.year, report.week)
                who = f" by {person(latest.submitted_by)}" if latest else ""
                raise ReportRefused(
                    conflict=f"This version of week {report.week_label} was amended meanwhile"
                    f"{who}: open the current version and amend that."
                )
            locked.is_current = False
            locked.save(update_fields=["is_current"])
            if data.attachment is None and locked.attachment:
                data.attachment = locked.attachment.name  # the same stored file
            return _write(report.engagement, data, by, version=locked.version + 1)
    except IntegrityError as exc:
        _refuse_duplicate_metric(exc)
        raise ReportRefused(
            conflict=f"Week {report.week_label} was amended meanwhile: reload and try again."
        ) from None


def _refuse_duplicate_metric(exc: IntegrityError) -> None:
    """The database folds a metric's name to lower case its own way (PostgreSQL's `lower`
    and Python's `casefold` differ on some letters, such as "İ"): what the check above let
    through, the constraint refuses, and the sender gets the same 422."""
    if "one_metric_per_name_and_holder" in str(exc):
        raise ReportRefused(
            [(("metrics",), "Two metrics share a name for the same data holder: one value each.")]
        ) from None


def put_report(engagement: Engagement, data: ReportInput, by, today: date):
    """The pipeline's `PUT`: the week's report as sent. Returns (report, what happened):
    "created", "amended", or "unchanged" when the current version already says exactly this."""
    current = _current(engagement, data.year, data.week)
    if current is None:
        try:
            return submit_report(engagement, data, by, today), "created"
        except ReportRefused as refused:
            if not refused.conflict:
                raise
            current = _current(engagement, data.year, data.week)  # sent meanwhile: amend it
    if content_of(current) == data.content():
        errors = report_errors(engagement, data, today)
        if errors:
            raise ReportRefused(errors)
        return current, "unchanged"
    this_week = today.isocalendar()[:2] == (data.year, data.week)
    if not this_week and not (data.amendment_note or "").strip():
        # The pipeline keeps this week's report current; correcting an earlier week is an
        # amendment, and says what it corrects, as on the form.
        raise ReportRefused(
            [(("amendment_note",), "Say what this amendment of an earlier week corrects.")]
        )
    return amend_report(current, data, by, today), "amended"


def _current(engagement, year: int, week: int) -> WeeklyReport | None:
    return (
        WeeklyReport.objects.current()
        .filter(engagement=engagement, year=year, week=week)
        .select_related("submitted_by")
        .first()
    )


def _write(engagement, data: ReportInput, by, version: int) -> WeeklyReport:
    report = WeeklyReport(
        engagement=engagement,
        year=data.year,
        week=data.week,
        version=version,
        status=data.status,
        status_reason=data.status_reason.strip() if data.status != ReportStatus.ON_SCHEDULE else "",
        summary=data.summary.strip(),
        hours=data.hours,
        data_quality_score=data.data_quality_score,
        blockers=data.blockers.strip(),
        decisions=data.decisions.strip(),
        amendment_note=data.amendment_note.strip() if version > 1 else "",
        submitted_by=by,
    )
    if data.attachment:
        report.attachment = data.attachment
    report.save()
    for metric in data.metrics:
        ReportMetric.objects.create(
            report=report,
            name=metric.name.strip(),
            value=metric.value,
            dataset_name=metric.dataset_name.strip(),
            dataset_version=metric.dataset_version.strip(),
            held_by=metric.held_by,
        )
    for experiment in data.experiments:
        Experiment.objects.create(
            report=report,
            hypothesis=experiment.hypothesis.strip(),
            result=experiment.result.strip(),
            outcome=experiment.outcome,
        )
    return report
