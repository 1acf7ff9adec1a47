"""Engagements, their three phases and their KPIs. The go/no-go gates and their immutable
decisions are in `gates.py`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property

from accounts.models import Membership, Organisation
from accounts.tenancy import RestrictedPrefetch, Scope, TenantModel, TenantQuerySet
from audit.models import audited

from ..enums import (
    PHASES,
    BillingModel,
    Currency,
    EngagementStatus,
    KpiKind,
    PhaseStatus,
)
from ..planning import DATE_BOUNDS, EARLIEST, LATEST  # noqa: F401  (re-exported)

if TYPE_CHECKING:
    from .gates import Gate

HEALTH_CHOICES = [("green", "Green"), ("amber", "Amber"), ("red", "Red")]
# What `health.refresh_health` stores on each engagement (never typed in, never audited).
DERIVED_FIELDS = [
    "health",
    "health_reason",
    "risk_titles",
    "health_refreshed_at",
    "next_gate_due",
    "spent_to_date",
    "budget_approved",
    "current_phase_number",
    "kpi_trend",
]


class EngagementQuerySet(TenantQuerySet):
    def for_portfolio(self, membership: Membership):
        """What the portfolio shows: phases and the milestones' titles and due dates, for
        the plan norms in each row's health (two extra queries), not the long text fields."""
        from .milestones import Milestone  # its module imports this one

        milestones = Milestone.objects.only("id", "engagement_id", "phase_id", "title", "due_date")
        return self.prefetch_related(
            RestrictedPrefetch("phases", membership, Phase.objects.all()),
            RestrictedPrefetch("milestones", membership, milestones),
        ).defer("business_problem")

    def with_plan(self, membership: Membership):
        """Phases, gates and their decisions, and milestones (with their owners) in four
        extra queries, whatever the row count, each restricted (and projected) for
        `membership` like the engagements themselves."""
        from .gates import Gate, GateDecision  # their module imports this one
        from .milestones import Milestone

        return self.prefetch_related(
            RestrictedPrefetch("phases", membership, Phase.objects.all()),
            RestrictedPrefetch("milestones", membership, Milestone.objects.for_list()),
            RestrictedPrefetch(
                "gates",
                membership,
                Gate.objects.prefetch_related(
                    RestrictedPrefetch(
                        "decisions", membership, GateDecision.objects.select_related("decided_by")
                    )
                ),
            ),
        )


class Engagement(TenantModel):
    """One outsourced AI/ML initiative, steered through three phases and three gates."""

    # Vendor contacts reach the engagements they are assigned to, without the money or the
    # reason the company outsourced.
    scope = Scope(
        "engagement",
        vendor="vendor_contacts",
        internal=(
            "budget",
            "outsourcing_reason",
            "health",
            "health_reason",
            "risk_titles",
            "spent_to_date",
            "budget_approved",
        ),
    )

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="engagements"
    )
    title = models.CharField(max_length=200)
    business_problem = models.TextField(max_length=5000)
    outsourcing_reason = models.TextField("reason for outsourcing", max_length=5000, blank=True)
    vendor_name = models.CharField(max_length=200, blank=True)
    budget = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    start_date = models.DateField(validators=DATE_BOUNDS)
    status = models.CharField(
        max_length=20, choices=EngagementStatus.choices, default=EngagementStatus.ACTIVE
    )
    # R24: until the scoping module assesses it, the owner's estimate (0–100) of how ready the
    # data is; a gate 1 criterion and the radar's "no usable data" read it.
    data_readiness = models.PositiveSmallIntegerField(
        "data readiness (%)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text="0–100: how much of the data the model needs is available, labelled and "
        "usable. Leave empty until assessed.",
    )
    vendor_contacts = models.ManyToManyField(
        Membership, blank=True, related_name="assigned_engagements"
    )
    # Health as the risk radar last computed it for insiders (`health.refresh_health`: after
    # every write to the engagement's data, and by beat as time passes), so the portfolio can
    # count, filter and sort 1,000 engagements by health without computing each. The
    # engagement's own page computes it live. Never typed in.
    health = models.CharField(max_length=5, choices=HEALTH_CHOICES, blank=True, editable=False)
    health_reason = models.CharField(max_length=500, blank=True, editable=False)
    risk_titles = models.JSONField(default=list, blank=True, editable=False)
    health_refreshed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Refreshed with the health, for the portfolio's sort, burn column and summary strip:
    # the next gate's due date, invoices to date and the budget approved (the agreed budget
    # plus approved change requests' money).
    next_gate_due = models.DateField(null=True, blank=True, editable=False)
    spent_to_date = models.DecimalField(max_digits=14, decimal_places=2, default=0, editable=False)
    budget_approved = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, editable=False
    )
    # The running phase, and the first technical KPI's recent client-held readings with its
    # target (the portfolio's sparkline): {"kpi": …, "target": …, "points": [[y, w, v], …]}.
    current_phase_number = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    kpi_trend = models.JSONField(default=dict, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EngagementQuerySet.as_manager()
    # The derived figures above are computed, not anybody's change: not in the audit trail.
    history = audited(m2m_fields=["vendor_contacts"], excluded_fields=DERIVED_FIELDS)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(budget__gte=0), name="engagement_budget_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(status__in=EngagementStatus.values), name="engagement_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(data_readiness__lte=100), name="engagement_data_readiness_0_100"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "-created_at"], name="portfolio_order")]

    def __str__(self) -> str:
        return self.title

    # The helpers below read prefetched rows (see `with_plan`), so lists stay at constant queries.
    @cached_property
    def phase_list(self) -> list[Phase]:
        return list(self.phases.all())

    @cached_property
    def gate_list(self) -> list[Gate]:
        return list(self.gates.all())

    @property
    def reached_gate_numbers(self) -> set[int]:
        """Gates whose phase has started: the ones a board can be asked about. A phase
        cancelled by a No-Go never starts, so its gate is never reached."""
        unstarted = (PhaseStatus.PLANNED, PhaseStatus.CANCELLED)
        return {p.number for p in self.phase_list if p.status not in unstarted}

    @property
    def current_phase(self) -> Phase | None:
        return next((p for p in self.phase_list if p.status == PhaseStatus.ACTIVE), None)

    @property
    def next_gate_number(self) -> int | None:
        """The gate that closes the current phase: the next decision this engagement needs."""
        phase = self.current_phase
        if phase is None or self.status in (EngagementStatus.STOPPED, EngagementStatus.COMPLETED):
            return None
        return phase.number

    @property
    def next_gate(self) -> Gate | None:
        number = self.next_gate_number
        return next((g for g in self.gate_list if g.number == number), None)


class Phase(TenantModel):
    """One of the guide's three phases, with its planned and actual dates."""

    scope = Scope(
        "engagement",
        organisation="engagement__organisation",
        vendor="engagement__vendor_contacts",
    )

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="phases")
    number = models.PositiveSmallIntegerField(
        choices=[(n, name) for n, (name, _) in PHASES.items()]
    )
    billing_model = models.CharField(max_length=20, choices=BillingModel.choices)
    planned_start = models.DateField(validators=DATE_BOUNDS)
    planned_end = models.DateField(validators=DATE_BOUNDS)
    actual_start = models.DateField(null=True, blank=True)
    actual_end = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=PhaseStatus.choices, default=PhaseStatus.PLANNED
    )

    objects = TenantQuerySet.as_manager()
    history = audited(context="engagement")

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["engagement", "number"], name="one_phase_per_number"),
            models.CheckConstraint(condition=Q(number__in=[1, 2, 3]), name="phase_number_1_to_3"),
            models.CheckConstraint(
                condition=Q(planned_end__gt=models.F("planned_start")),
                name="phase_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return PHASES[self.number][0] if self.number in PHASES else "Unknown phase"

    @property
    def planned_weeks(self) -> float:
        return (self.planned_end - self.planned_start).days / 7


class Kpi(TenantModel):
    """A business KPI (baseline → target, e.g. tickets −40%) or a technical one (F1 ≥ 0.85)."""

    scope = Scope(
        "engagement",
        organisation="engagement__organisation",
        vendor="engagement__vendor_contacts",
    )

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="kpis")
    kind = models.CharField(max_length=10, choices=KpiKind.choices, default=KpiKind.BUSINESS)
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=40, blank=True)
    baseline = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    target = models.DecimalField(max_digits=16, decimal_places=4)
    higher_is_better = models.BooleanField(
        default=True, help_text="Untick for metrics that should fall, such as ticket volume."
    )

    objects = TenantQuerySet.as_manager()
    history = audited(context="engagement")

    class Meta:
        ordering = ["kind", "id"]
        verbose_name = "KPI"

    def __str__(self) -> str:
        return self.name
