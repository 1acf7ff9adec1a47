"""The organisation's thresholds for the risk radar and gate evidence, and the record of
reminders sent (so beat can run any number of times and send each reminder once)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.models import Organisation
from accounts.tenancy import Scope, TenantModel, TenantQuerySet
from audit.models import audited

# (field, default, lowest, highest): every threshold is a whole number.
THRESHOLDS = {
    "readiness_min": (60, 0, 100),
    "change_request_count": (3, 1, 50),
    "change_request_share": (20, 1, 500),
    "change_request_open_days": (14, 1, 365),
    "missing_report_weeks": (2, 1, 52),
    "hours_only_reports": (2, 1, 52),
    "budget_overrun_share": (0, 0, 100),
    "schedule_slip_days": (14, 1, 365),
    "evidence_max_age_days": (30, 1, 365),
    "handoff_weeks": (4, 1, 52),
    "mlops_development_share": (50, 1, 100),
}


def _threshold(name: str, verbose: str, help_text: str) -> models.PositiveSmallIntegerField:
    default, low, high = THRESHOLDS[name]
    return models.PositiveSmallIntegerField(
        verbose,
        default=default,
        validators=[MinValueValidator(low), MaxValueValidator(high)],
        help_text=f"{help_text} ({low}–{high}; the guide's default {default}).",
    )


class RiskSettings(TenantModel):
    """An organisation's thresholds (one row, created with defaults when first read)."""

    scope = Scope("risk_settings", organisation="organisation")

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="risk_settings"
    )
    readiness_min = _threshold(
        "readiness_min", "lowest usable data readiness (%)", "No usable data below this"
    )
    change_request_count = _threshold(
        "change_request_count",
        "approved change requests",
        "Scope creep from this many approved change requests",
    )
    change_request_share = _threshold(
        "change_request_share",
        "change-request impact (% of plan or budget)",
        "Scope creep when approved changes add more than this share",
    )
    change_request_open_days = _threshold(
        "change_request_open_days",
        "days a change request may stay open",
        "Undecided longer than this, a request is a risk",
    )
    missing_report_weeks = _threshold(
        "missing_report_weeks", "missing weekly reports", "Reports missing from this many weeks"
    )
    hours_only_reports = _threshold(
        "hours_only_reports",
        "hours-only reports (last 8 weeks)",
        "Weak reporting from this many reports with hours but no quality, metric or experiment",
    )
    budget_overrun_share = _threshold(
        "budget_overrun_share",
        "budget tolerance (%)",
        "Overrun when spent or forecast exceeds the approved budget by more than this",
    )
    schedule_slip_days = _threshold(
        "schedule_slip_days",
        "schedule slip (days)",
        "Slip when a gate, a milestone or the plan is this many days late",
    )
    evidence_max_age_days = _threshold(
        "evidence_max_age_days",
        "evidence age (days)",
        "Gate evidence older than this is stale and counts as unmet",
    )
    handoff_weeks = _threshold(
        "handoff_weeks",
        "handoff warning (weeks before handover)",
        "Knowledge-transfer items open this close to handover are a risk",
    )
    mlops_development_share = _threshold(
        "mlops_development_share",
        "MLOps deadline (% of development)",
        "MLOps items still open this far into development are a risk",
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()
    history = audited()

    class Meta:
        verbose_name_plural = "risk settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(**{f"{name}__gte": low, f"{name}__lte": high}),
                name=f"risk_{name}_in_range",
            )
            for name, (_, low, high) in THRESHOLDS.items()
        ]

    def __str__(self) -> str:
        return f"Risk settings of {self.organisation}"

    @classmethod
    def defaults(cls, organisation: Organisation | None = None) -> RiskSettings:
        """The guide's defaults, unsaved: what an organisation that never changed them uses."""
        return cls(organisation=organisation)

    @classmethod
    def for_organisation(cls, organisation: Organisation | int) -> RiskSettings:
        """The organisation's settings (an `Organisation` or its id), or the defaults (unsaved)
        when it has none: one query. The one lookup of an organisation's thresholds; batch
        readers (`refresh_health`, reminders) read many organisations' rows at once."""
        organisation_id = getattr(organisation, "pk", organisation)
        found = cls.objects.filter(organisation_id=organisation_id).first()
        return found or cls(organisation_id=organisation_id)


class ReminderKind(models.TextChoices):
    MISSING_REPORT = "missing_report", "Weekly report missing"
    GATE_DUE = "gate_due", "Gate due or overdue"
    CONDITION_DUE = "condition_due", "Conditional-Go task due"
    STALE_EVIDENCE = "stale_evidence", "Stale evidence on the next gate"


class Reminder(models.Model):
    """One reminder sent: a kind, the item it is about, the period it covers, the person.
    The unique constraint makes sending idempotent: beat may run any number of times."""

    tenancy_exempt = "bookkeeping of the reminder task: never listed, shown or served"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    subject = models.CharField(max_length=60, help_text="What it is about, e.g. gate:42.")
    period = models.CharField(max_length=20, help_text="e.g. 2026-W48, or a date.")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject", "period", "recipient"], name="one_reminder_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject} ({self.period})"
