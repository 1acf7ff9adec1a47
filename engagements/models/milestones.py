"""Milestones: the process steps of a phase, with a due date, an owner, a status and evidence.

The guide (§5) wants process milestones ("end-to-end pipeline deployed in staging"), not
promised scores; `planning.milestone_warnings` judges the wording and the plan (R04, R25, R27).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.tenancy import Scope, TenantModel, TenantQuerySet
from audit.models import audited
from handover.uploads import DocumentField

from ..planning import DATE_BOUNDS, score_promise
from .core import Engagement, Phase


class MilestoneStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    MISSED = "missed", "Missed"


class MilestoneQuerySet(TenantQuerySet):
    def for_list(self):
        return self.select_related("owner").order_by("due_date", "id")


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
    def has_evidence(self) -> bool:
        return bool(self.evidence_note or self.evidence_link or self.evidence_document)
