"""The go/no-go gates after each phase (their gatekeepers and vote rule) and the immutable
decisions recorded at them. Split from `core.py`; the app label and model names are
unchanged, so no migration moves."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property

from accounts.models import Membership
from accounts.tenancy import Scope, TenantModel, TenantQuerySet
from audit.models import audited

from .. import gates
from ..enums import FINAL_OUTCOMES, GATE_QUESTIONS, PHASES, Outcome, PhaseStatus, VoteRule
from ..planning import DATE_BOUNDS
from .core import Engagement, Phase


class Gate(TenantModel):
    """The go/no-go decision point after a phase; gate 3 closes the engagement."""

    scope = Scope(
        "engagement",
        organisation="engagement__organisation",
        vendor="engagement__vendor_contacts",
    )

    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="gates")
    number = models.PositiveSmallIntegerField()
    # Who votes before the owner decides (board members included), and what their votes must
    # add up to; a decision against the rule needs a reason.
    gatekeepers = models.ManyToManyField(Membership, blank=True, related_name="gates_to_keep")
    vote_rule = models.CharField(max_length=10, choices=VoteRule.choices, default=VoteRule.MAJORITY)
    # Report jobs about a gate go with it.
    report_jobs = GenericRelation("reports.ReportJob")

    objects = TenantQuerySet.as_manager()
    history = audited(context="engagement", m2m_fields=["gatekeepers"])

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["engagement", "number"], name="one_gate_per_number"),
            models.CheckConstraint(condition=Q(number__in=[1, 2, 3]), name="gate_number_1_to_3"),
            models.CheckConstraint(
                condition=Q(vote_rule__in=VoteRule.values), name="gate_vote_rule_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Gate {self.number}"

    @property
    def question(self) -> str:
        return GATE_QUESTIONS[self.number]

    @property
    def after_phase_name(self) -> str:
        return PHASES[self.number][0]

    @property
    def phase(self) -> Phase | None:
        """The phase this gate closes (from the engagement's prefetched phases)."""
        return next((p for p in self.engagement.phase_list if p.number == self.number), None)

    @property
    def due_date(self) -> date | None:
        """When the gate is due: its phase's planned end, while the phase is still to run."""
        phase = self.phase
        live = (PhaseStatus.ACTIVE, PhaseStatus.PLANNED)
        return phase.planned_end if phase and phase.status in live else None

    @cached_property
    def decision_list(self) -> list[GateDecision]:
        return list(self.decisions.all())

    @property
    def latest_decision(self) -> GateDecision | None:
        decisions = self.decision_list
        return decisions[-1] if decisions else None

    @property
    def final_decision(self) -> GateDecision | None:
        return next((d for d in self.decision_list if d.is_final), None)


class ImmutableRecordError(Exception):
    """Raised on any attempt to change or delete a recorded gate decision."""


class GateDecisionQuerySet(TenantQuerySet):
    def update(self, **kwargs):
        raise ImmutableRecordError("Gate decisions cannot be changed; record a new decision.")

    def delete(self):
        raise ImmutableRecordError("Gate decisions cannot be deleted.")


class GateDecision(TenantModel):
    """A recorded Go / No-Go / Hold / Recycle. Never edited or deleted: Go and No-Go close the
    gate; after Hold or Recycle the next decision is a new record."""

    # Vendor contacts see the outcome, not the deliberation.
    scope = Scope(
        "engagement",
        organisation="gate__engagement__organisation",
        vendor="gate__engagement__vendor_contacts",
        internal=("rationale", "attendees", "override_reason", "vote_reason", "readiness"),
    )

    # CASCADE only so that deleting a whole organisation (`manage.py deleteorg`) can work:
    # the collector deletes rows directly and never calls delete() on a decision.
    gate = models.ForeignKey(Gate, on_delete=models.CASCADE, related_name="decisions")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    rationale = models.TextField(max_length=10000)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_on = models.DateField(validators=DATE_BOUNDS)
    attendees = models.TextField(max_length=2000, blank=True)
    new_end_date = models.DateField(
        null=True,
        blank=True,
        validators=DATE_BOUNDS,
        help_text="Recycle only: the phase's new end date.",
    )
    # Go (or Conditional Go) with a must-meet criterion unmet: why the owner overrode it.
    override_reason = models.TextField(
        "why Go despite unmet must-meet criteria", max_length=5000, blank=True
    )
    # A decision the gatekeepers' votes do not support (by the gate's rule): why.
    vote_reason = models.TextField("why decide against the votes", max_length=5000, blank=True)
    # What the evidence said when the decision was made (criteria, readiness, recommendation,
    # votes), kept with the decision since the evidence itself goes on changing.
    readiness = models.JSONField(default=dict, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = GateDecisionQuerySet.as_manager()
    history = audited(context="gate__engagement")

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            # The database, not only the code, guarantees one Go/No-Go per gate.
            models.UniqueConstraint(
                fields=["gate"],
                condition=gates.FINAL_DECISION,
                name="one_final_decision_per_gate",
            ),
            models.CheckConstraint(
                condition=gates.RECYCLE_HAS_NEW_END_DATE,
                name="recycle_has_new_end_date",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=Outcome.values), name="decision_outcome_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} at gate {self.gate.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableRecordError("Gate decisions cannot be changed; record a new decision.")
        # Insert only: even a new instance carrying an existing pk cannot become an UPDATE.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRecordError("Gate decisions cannot be deleted.")

    @property
    def is_final(self) -> bool:
        return self.outcome in FINAL_OUTCOMES
