"""Weekly status reports: one per engagement and ISO week, with the model metrics (and who holds
the data they were measured on), the experiments tried, blockers and decisions.

A report is never edited in place. A correction is an amendment: a new row, version n + 1,
becomes the current one and the earlier versions stay readable (and audited). The database
keeps one current version per engagement and week.

Nothing in a report is internal: the vendor wrote it, hours included, and hiding a vendor's own
figures from them would protect nothing. What the hours cost is money, and money lives with
spend, which vendor contacts do not see.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.tenancy import Scope, TenantModel, TenantQuerySet
from audit.models import audited
from handover.uploads import DocumentField

from .core import Engagement

# The data-quality score's scale: the share of records passing the vendor's data validation,
# as a percentage. Stated on the form, the API and the page.
QUALITY_SCALE = (Decimal(0), Decimal(100))
MAX_HOURS = Decimal(10_000)  # a week of a large team, with room; more is a typo
MAX_METRICS, MAX_EXPERIMENTS = 30, 20


class ReportStatus(models.TextChoices):
    ON_SCHEDULE = "on_schedule", "On schedule"
    BEHIND = "behind", "Behind"
    STUCK = "stuck", "Stuck"


class DataHolder(models.TextChoices):
    """Who controls the evaluation data: the client's own hold-out set is the one to trust."""

    CLIENT = "client", "Client's hold-out set"
    VENDOR = "vendor", "Vendor-controlled data"


class ExperimentOutcome(models.TextChoices):
    KEPT = "kept", "Kept"
    DROPPED = "dropped", "Dropped"


def week_label(year: int, week: int) -> str:
    return f"{year}-W{week:02d}"


def week_monday(year: int, week: int) -> date:
    return date.fromisocalendar(year, week, 1)


class WeeklyReportQuerySet(TenantQuerySet):
    def current(self):
        """The current version of each week's report (amended originals left out)."""
        return self.filter(is_current=True)

    def with_evidence(self):
        """Whether each report has metrics or experiments: two EXISTS in the same query, so a
        list can flag hours-only reports without a query per row."""
        return self.annotate(
            has_metrics=Exists(ReportMetric.objects.filter(report=OuterRef("pk"))),
            has_experiments=Exists(Experiment.objects.filter(report=OuterRef("pk"))),
        )


class WeeklyReport(TenantModel):
    """What the vendor says about one ISO week of an engagement (one version of it)."""

    # Read by everyone who may view the engagement; vendor contacts reach the reports of the
    # engagements they are assigned to. No internal fields (see the module docstring).
    scope = Scope(
        "weekly_report",
        organisation="engagement__organisation",
        vendor="engagement__vendor_contacts",
    )

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="weekly_reports"
    )
    year = models.PositiveSmallIntegerField()
    week = models.PositiveSmallIntegerField(help_text="ISO week number, 1–53.")
    version = models.PositiveSmallIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    status = models.CharField(
        max_length=12, choices=ReportStatus.choices, default=ReportStatus.ON_SCHEDULE
    )
    status_reason = models.TextField(
        "why stuck or behind", max_length=2000, blank=True, help_text="Required when stuck."
    )
    summary = models.TextField(max_length=5000)
    hours = models.DecimalField(
        "hours logged", max_digits=6, decimal_places=1, null=True, blank=True
    )
    data_quality_score = models.DecimalField(
        "data-quality score (0–100)",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        help_text="Share of records passing the vendor's data validation, 0–100.",
    )
    blockers = models.TextField(max_length=5000, blank=True)
    decisions = models.TextField(max_length=5000, blank=True)
    attachment = DocumentField(blank=True)
    amendment_note = models.TextField("what the amendment corrects", max_length=2000, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now, editable=False)

    downloadable = ("attachment",)
    objects = WeeklyReportQuerySet.as_manager()
    history = audited(context="engagement")

    class Meta:
        ordering = ["-year", "-week", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["engagement", "year", "week"],
                condition=Q(is_current=True),
                name="one_current_report_per_week",
            ),
            models.UniqueConstraint(
                fields=["engagement", "year", "week", "version"], name="report_version_unique"
            ),
            models.CheckConstraint(condition=Q(week__gte=1, week__lte=53), name="report_week_1_53"),
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100), name="report_year_in_range"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="report_version_positive"),
            models.CheckConstraint(
                condition=Q(hours__isnull=True) | Q(hours__gte=0, hours__lte=MAX_HOURS),
                name="report_hours_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(data_quality_score__isnull=True)
                | Q(
                    data_quality_score__gte=QUALITY_SCALE[0],
                    data_quality_score__lte=QUALITY_SCALE[1],
                ),
                name="report_quality_score_0_100",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReportStatus.values), name="report_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=ReportStatus.STUCK) | ~Q(status_reason=""),
                name="stuck_report_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["engagement", "is_current", "year", "week"])]

    def __str__(self) -> str:
        suffix = f" (amendment {self.version - 1})" if self.version > 1 else ""
        return f"Week {self.week_label}{suffix}"

    @property
    def week_label(self) -> str:
        return week_label(self.year, self.week)

    @property
    def monday(self) -> date:
        return week_monday(self.year, self.week)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def is_amendment(self) -> bool:
        return self.version > 1

    @property
    def hours_only(self) -> bool:
        """R15: hours logged, and not one data-quality score, metric or experiment — the
        guide's sign of a weak vendor. Reads `with_evidence()`'s annotations when present."""
        if not self.hours or self.data_quality_score is not None:
            return False
        has_metrics = getattr(self, "has_metrics", None)
        if has_metrics is None:
            has_metrics = self.metrics.exists()
        has_experiments = getattr(self, "has_experiments", None)
        if has_experiments is None:
            has_experiments = self.experiments.exists()
        return is_hours_only(self.hours, self.data_quality_score, has_metrics, has_experiments)


def is_hours_only(hours, data_quality_score, has_metrics: bool, has_experiments: bool) -> bool:
    """R15 over plain values (`WeeklyReport.hours_only`; `facts.load_facts` reads them as
    tuples, thousands at a time)."""
    return bool(hours) and data_quality_score is None and not (has_metrics or has_experiments)


class ReportMetric(TenantModel):
    """One model metric of a weekly report, and the data it was measured on."""

    scope = Scope(
        "weekly_report",
        organisation="report__engagement__organisation",
        vendor="report__engagement__vendor_contacts",
    )

    report = models.ForeignKey(WeeklyReport, on_delete=models.CASCADE, related_name="metrics")
    name = models.CharField(max_length=100, help_text="F1, precision, recall, p95 latency…")
    value = models.DecimalField(max_digits=16, decimal_places=4)
    dataset_name = models.CharField("evaluation data set", max_length=200)
    dataset_version = models.CharField("data set version", max_length=50)
    held_by = models.CharField(
        "data held by", max_length=10, choices=DataHolder.choices, default=DataHolder.CLIENT
    )

    objects = TenantQuerySet.as_manager()
    history = audited(context="report__engagement")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"), "held_by", "report", name="one_metric_per_name_and_holder"
            ),
            models.CheckConstraint(
                condition=Q(held_by__in=DataHolder.values), name="metric_holder_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} = {self.value}"


class Experiment(TenantModel):
    """An experiment the vendor ran that week: what they expected, what happened, kept or not."""

    scope = Scope(
        "weekly_report",
        organisation="report__engagement__organisation",
        vendor="report__engagement__vendor_contacts",
    )

    report = models.ForeignKey(WeeklyReport, on_delete=models.CASCADE, related_name="experiments")
    hypothesis = models.TextField(max_length=2000)
    result = models.TextField(max_length=2000)
    outcome = models.CharField(
        max_length=10, choices=ExperimentOutcome.choices, default=ExperimentOutcome.KEPT
    )

    objects = TenantQuerySet.as_manager()
    history = audited(context="report__engagement")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=ExperimentOutcome.values), name="experiment_outcome_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.hypothesis[:60]
