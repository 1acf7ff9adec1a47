"""What a gate is decided on: its criteria and their evidence, the gatekeepers' votes, the
conditions of a Conditional Go, and the plan each Go approved (its baseline).

None of these has a vendor path but the conditions: vendor contacts see what they must do
after a Conditional Go, never the deliberation (criteria, evidence, votes, baselines).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.tenancy import Scope, TenantModel, TenantQuerySet
from audit.models import audited
from handover.uploads import DocumentField

from ..enums import ConditionStatus, CriterionCheck, CriterionKind, VoteChoice
from ..planning import DATE_BOUNDS
from .checklists import ChecklistList
from .core import Engagement
from .gates import Gate, GateDecision

MAX_WEIGHT = 10


class CriterionQuerySet(TenantQuerySet):
    def for_gate(self):
        return self.select_related("evidence_by").order_by("gate__number", "position", "id")


class GateCriterion(TenantModel):
    """One criterion of a gate: must-meet (a knock-out) or should-meet (scored by its weight),
    met by evidence — a note, a link, a file, dated — or by an automatic check over the
    engagement's own data (`met_by`, with its parameters below)."""

    scope = Scope("gate", organisation="engagement__organisation")

    # The engagement beside the gate, so a page prefetches an engagement's criteria at once.
    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="gate_criteria"
    )
    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="criteria")
    # The guide's criteria have a key, so a data migration or a check can find them whatever
    # they are renamed to; criteria an owner adds have none.
    key = models.SlugField(max_length=60, blank=True, editable=False)
    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=6, choices=CriterionKind.choices, default=CriterionKind.MUST)
    weight = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_WEIGHT)],
        help_text=f"1–{MAX_WEIGHT}: how much a should-meet criterion counts in the score.",
    )
    position = models.PositiveSmallIntegerField(default=0)
    met_by = models.CharField(
        "met by", max_length=20, choices=CriterionCheck.choices, default=CriterionCheck.EVIDENCE
    )
    # Parameters of the automatic checks.
    threshold = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Data readiness: the lowest acceptable % · change requests: the days a "
        "request may stay open.",
    )
    checklist = models.CharField(
        "checklist", max_length=20, choices=ChecklistList.choices, blank=True
    )
    checklist_keys = models.JSONField(
        "checklist items",
        default=list,
        blank=True,
        help_text="The guide's item keys that must be done; empty: the whole list.",
    )
    accept_vendor_data = models.BooleanField(
        "vendor-held evaluations count",
        default=False,
        help_text="Off: only an evaluation on the client's own hold-out data meets the KPI.",
    )
    # Evidence, given by a person; older than the organisation's evidence age it is stale.
    evidence_note = models.TextField("evidence", max_length=5000, blank=True)
    evidence_link = models.URLField("evidence link", max_length=500, blank=True)
    evidence_document = DocumentField("evidence document", blank=True)
    evidence_on = models.DateField("evidence dated", null=True, blank=True, validators=DATE_BOUNDS)
    evidence_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    downloadable = ("evidence_document",)

    objects = CriterionQuerySet.as_manager()
    history = audited(context="engagement")

    class Meta:
        ordering = ["gate__number", "position", "id"]
        verbose_name_plural = "gate criteria"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=CriterionKind.values), name="criterion_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(met_by__in=CriterionCheck.values), name="criterion_check_valid"
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=1, weight__lte=MAX_WEIGHT), name="criterion_weight_1_10"
            ),
            models.CheckConstraint(condition=~Q(title=""), name="criterion_title_not_empty"),
            # Evidence says when it was given.
            models.CheckConstraint(
                condition=Q(evidence_note="", evidence_link="", evidence_document="")
                | Q(evidence_on__isnull=False),
                name="criterion_evidence_dated",
            ),
            models.UniqueConstraint(
                fields=["gate", "key"], condition=~Q(key=""), name="one_guide_criterion_per_gate"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_must(self) -> bool:
        return self.kind == CriterionKind.MUST

    @property
    def has_evidence(self) -> bool:
        return bool(self.evidence_note or self.evidence_link or self.evidence_document)


class GateVote(TenantModel):
    """A gatekeeper's vote on a gate, with a comment. One per gatekeeper and round: a round is
    the gate's decision count when the vote was cast, so after Hold or Recycle they vote
    again on the evidence as it then stands. Never edited."""

    scope = Scope("gate", organisation="gate__engagement__organisation")

    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="votes")
    round = models.PositiveSmallIntegerField(default=0)
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(max_length=8, choices=VoteChoice.choices)
    comment = models.TextField(max_length=5000, blank=True)
    cast_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()
    history = audited(context="gate__engagement")

    class Meta:
        ordering = ["cast_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["gate", "round", "voter"], name="one_vote_per_gatekeeper_and_round"
            ),
            models.CheckConstraint(
                condition=Q(choice__in=VoteChoice.values), name="vote_choice_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_choice_display()} at gate {self.gate.number}"


class ConditionQuerySet(TenantQuerySet):
    def for_list(self):
        return self.select_related("owner", "done_by").order_by("due_date", "id")


class GateCondition(TenantModel):
    """A condition of a Conditional Go: a task with an owner and a due date. While one is open
    the next gate cannot be decided; an overdue one is a risk."""

    scope = Scope(
        "condition",
        organisation="engagement__organisation",
        vendor="engagement__vendor_contacts",
    )

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="gate_conditions"
    )
    decision = models.ForeignKey(GateDecision, on_delete=models.CASCADE, related_name="conditions")
    title = models.CharField("condition", max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_date = models.DateField(validators=DATE_BOUNDS)
    status = models.CharField(
        max_length=6, choices=ConditionStatus.choices, default=ConditionStatus.OPEN
    )
    done_on = models.DateField(null=True, blank=True, validators=DATE_BOUNDS)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField("how it was met", max_length=5000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ConditionQuerySet.as_manager()
    history = audited(context="engagement")

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ConditionStatus.values), name="condition_status_valid"
            ),
            models.CheckConstraint(condition=~Q(title=""), name="condition_title_not_empty"),
            models.CheckConstraint(
                condition=Q(status=ConditionStatus.DONE, done_on__isnull=False)
                | (~Q(status=ConditionStatus.DONE) & Q(done_on__isnull=True)),
                name="condition_done_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == ConditionStatus.OPEN


class PlanBaseline(TenantModel):
    """The plan a Go approved: each phase's dates and the approved budget. The engagement and
    its PDF compare the current plan with the last one, so slippage is never silently
    absorbed. Written once, with the decision."""

    scope = Scope(
        "engagement", organisation="engagement__organisation", internal=("budget_approved",)
    )

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="baselines")
    decision = models.OneToOneField(GateDecision, on_delete=models.CASCADE, related_name="baseline")
    approved_on = models.DateField(validators=DATE_BOUNDS)
    # [{"number": 1, "planned_start": "2026-01-05", "planned_end": "2026-03-02"}, …]
    phases = models.JSONField(default=list)
    budget_approved = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()
    history = audited(context="engagement")

    class Meta:
        ordering = ["approved_on", "id"]
        get_latest_by = ["approved_on", "id"]

    def __str__(self) -> str:
        return f"Baseline approved {self.approved_on:%d %b %Y}"
