"""Change requests: the guide's answer to scope creep (§7, R26). Proposed by an insider or an
assigned vendor contact; approved or rejected by an owner, withdrawn by the requester. Each
decision is a recorded transition (`engagements.change_requests`), never an edit."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.tenancy import Scope, TenantModel, TenantQuerySet
from audit.models import audited

from .core import Engagement

MAX_IMPACT_WEEKS = 104


class ChangeRequestStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ChangeRequestQuerySet(TenantQuerySet):
    def for_list(self):
        return self.select_related("requested_by", "decided_by").order_by("-created_at", "-id")


class ChangeRequest(TenantModel):
    """A request to change the scope, with its impact in weeks and money.

    Once decided it is not edited again: `status`, `decided_by`, `decided_at` and what the
    approval moved (`plan_end_before`, `plan_end_after`) are written once, by the transition."""

    # Vendor contacts see the change requests of their engagements, without the money.
    scope = Scope(
        "change_request",
        organisation="engagement__organisation",
        vendor="engagement__vendor_contacts",
        internal=("impact_money",),
    )

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="change_requests"
    )
    title = models.CharField(max_length=200)
    reason = models.TextField(max_length=5000)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    impact_weeks = models.PositiveSmallIntegerField(
        "impact on the plan (weeks)",
        default=0,
        validators=[MaxValueValidator(MAX_IMPACT_WEEKS)],
    )
    impact_money = models.DecimalField(
        "impact on the budget",
        max_digits=14,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    status = models.CharField(
        max_length=10, choices=ChangeRequestStatus.choices, default=ChangeRequestStatus.PROPOSED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # What the approval did to the plan: its end before and after (None when nothing moved).
    plan_end_before = models.DateField(null=True, blank=True)
    plan_end_after = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ChangeRequestQuerySet.as_manager()
    history = audited(context="engagement")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ChangeRequestStatus.values),
                name="change_request_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(impact_money__gte=0), name="change_request_money_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(impact_weeks__gte=0, impact_weeks__lte=MAX_IMPACT_WEEKS),
                name="change_request_weeks_in_range",
            ),
            # Proposed ⇔ undecided: a decision always says who and when.
            models.CheckConstraint(
                condition=(
                    Q(status=ChangeRequestStatus.PROPOSED, decided_at__isnull=True)
                    & Q(decided_by__isnull=True)
                )
                | (
                    ~Q(status=ChangeRequestStatus.PROPOSED)
                    & Q(decided_at__isnull=False, decided_by__isnull=False)
                ),
                name="change_request_decision_recorded",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == ChangeRequestStatus.PROPOSED
