"""Milestones: the process steps of a phase, with a due date, an owner, a status and evidence.

The guide (§5) wants process milestones ("end-to-end pipeline deployed in staging"), not
promised scores; `milestone_norms.milestone_warnings` judges the wording and the plan
(R04, R25, R27).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from accounts.models import Membership
from accounts.roles import Role
from accounts.tenancy import Scope, TenantModel, TenantQuerySet
from audit.models import audited
from handover.uploads import DocumentField

from ..milestone_norms import score_promise
from ..planning import DATE_BOUNDS
from .core import Engagement, Phase


class MilestoneStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    MISSED = "missed", "Missed"


def _vendor_owner():
    """Whether the milestone's owner is a vendor contact of its organisation (a subquery)."""
    return Exists(
        Membership.objects.filter(
            user=OuterRef("owner_id"),
            organisation=OuterRef("engagement__organisation_id"),
            role=Role.VENDOR,
        )
    )


class MilestoneQuerySet(TenantQuerySet):
    def for_list(self):
        """With the owners, and `owner_is_vendor` for `vendor_may_update`, in one query."""
        return (
            self.select_related("owner")
            .annotate(owner_is_vendor=_vendor_owner())
            .order_by("due_date", "id")
        )


class Milestone(TenantModel):
    """One process step of a phase. Owners and admins plan it; the engagement's vendor contacts
    see it and mark its status and evidence (`milestone.update`)."""

    scope = Scope(
        "milestone",
        organisation="engagement__organisation",
        vendor="engagement__vendor_contacts",
    )

    # The engagement is stored beside the phase so the engagement page and the portfolio
    # prefetch an engagement's milestones in one query; the form keeps it equal to the phase's.
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="milestones")
    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    due_date = models.DateField(validators=DATE_BOUNDS)
    # A person, not a membership: removing a member deletes the membership, and the milestone
    # keeps its owner's name (as gate decisions keep their decider's). Chosen among the
    # organisation's insiders and the engagement's vendor contacts.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        max_length=12, choices=MilestoneStatus.choices, default=MilestoneStatus.PLANNED
    )
    evidence_note = models.TextField("evidence", max_length=5000, blank=True)
    evidence_link = models.URLField("evidence link", max_length=500, blank=True)
    evidence_document = DocumentField("evidence document", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    downloadable = ("evidence_document",)

    objects = MilestoneQuerySet.as_manager()
    history = audited(context="engagement")

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=MilestoneStatus.values), name="milestone_status_valid"
            ),
            models.CheckConstraint(condition=~Q(title=""), name="milestone_title_not_empty"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def score_promise(self) -> str | None:
        """The phrase that promises a model score (R04), if any."""
        return score_promise(self.title)

    @property
    def vendor_may_update(self) -> bool:
        """Vendor contacts mark the status and evidence of milestones owned by a vendor contact
        or by nobody — not of those an internal member owns ("our team retrains the model
        without the vendor" is the client's to confirm)."""
        if self.owner_id is None:
            return True
        annotated = getattr(self, "owner_is_vendor", None)
        if annotated is None:  # not read through `for_list`: one query
            annotated = (
                Milestone.objects.filter(pk=self.pk)
                .annotate(owner_is_vendor=_vendor_owner())
                .values_list("owner_is_vendor", flat=True)
                .first()
            )
        return bool(annotated)

    @property
    def has_evidence(self) -> bool:
        return bool(self.evidence_note or self.evidence_link or self.evidence_document)


def move_milestones(
    engagement: Engagement,
    starts_before: Mapping[int, date],
    phases_after: Iterable[Phase],
    *,
    by=None,
) -> list[Milestone]:
    """Move the due dates of the milestones of each phase whose planned start moved (phase pk
    → its planned start before the change; `phases_after` as they are now) by as many days,
    so a plan that slips takes its milestones with it. Milestones of a phase whose end alone
    moved (a Recycle of the running phase) stay. A due date that would leave its phase's span
    (a phase whose length changed too) is kept within it.

    Call it in the transaction that saves the phases; the moves are audited (by `by`, else
    the request's user). Returns the milestones moved."""
    phases = {
        phase.pk: phase
        for phase in phases_after
        if phase.pk in starts_before and phase.planned_start != starts_before[phase.pk]
    }
    if not phases:
        return []
    moved = list(Milestone.objects.filter(engagement_id=engagement.pk, phase_id__in=phases))
    now = timezone.now()
    for milestone in moved:
        phase = phases[milestone.phase_id]
        due = milestone.due_date + (phase.planned_start - starts_before[phase.pk])
        milestone.due_date = min(max(due, phase.planned_start), phase.planned_end)
        milestone.updated_at = now
    if moved:
        bulk_update_with_history(
            moved, Milestone, ["due_date", "updated_at"], default_user=by, batch_size=500
        )
    return moved
