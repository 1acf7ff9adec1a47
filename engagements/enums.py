"""The engagement domain's vocabulary, defined once: statuses, billing models, outcomes, the
guide's three phases and the question each gate asks."""

from __future__ import annotations

from django.db import models


class EngagementStatus(models.TextChoices):
    # Until its start date: the plan can still move.
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    COMPLETED = "completed", "Completed"
    STOPPED = "stopped", "Stopped"


class BillingModel(models.TextChoices):
    TIME_AND_MATERIALS = "time_materials", "Time & materials"
    DEDICATED_TEAM = "dedicated_team", "Dedicated team"
    FIXED_PRICE = "fixed_price", "Fixed price"


class PhaseStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    DONE = "done", "Done"
    STOPPED = "stopped", "Stopped"
    # A phase after a No-Go: it will never run.
    CANCELLED = "cancelled", "Cancelled"


# The guide's three phases (§5), in order, with the billing model each should use.
PHASES = {
    1: ("Discovery & PoC", BillingModel.TIME_AND_MATERIALS),
    2: ("Development & Iteration", BillingModel.DEDICATED_TEAM),
    3: ("Transition & Handover", BillingModel.DEDICATED_TEAM),
}
GATE_QUESTIONS = {
    1: "Should we continue into Development & Iteration?",
    2: "Is the system ready for Transition & Handover?",
    3: "Can our team retrain and debug the model without the vendor?",
}


class Currency(models.TextChoices):
    USD = "USD", "US dollar"
    EUR = "EUR", "Euro"
    GBP = "GBP", "Pound sterling"


class Outcome(models.TextChoices):
    GO = "go", "Go"
    # Go, with conditions that become tasks; the next gate waits until they are done.
    CONDITIONAL_GO = "conditional_go", "Conditional Go"
    NO_GO = "no_go", "No-Go"
    HOLD = "hold", "Hold"
    RECYCLE = "recycle", "Recycle"


FINAL_OUTCOMES = (Outcome.GO, Outcome.CONDITIONAL_GO, Outcome.NO_GO)
# The outcomes that open the next phase (or complete the engagement at gate 3).
GO_OUTCOMES = (Outcome.GO, Outcome.CONDITIONAL_GO)


class KpiKind(models.TextChoices):
    BUSINESS = "business", "Business"
    TECHNICAL = "technical", "Technical"


class CriterionKind(models.TextChoices):
    MUST = "must", "Must-meet"  # a knock-out: unmet, Go needs an override
    SHOULD = "should", "Should-meet"  # scored by its weight


class CriterionCheck(models.TextChoices):
    """How a gate criterion is met: by evidence a person gives, or by a check over the
    engagement's own data."""

    EVIDENCE = "evidence", "Evidence (a note, a link or a file)"
    KPI_MET = "kpi_met", "Technical KPI met on the client's hold-out data"
    DATA_READINESS = "data_readiness", "Data readiness at or above a threshold"
    CHECKLIST = "checklist", "Handover checklist items done"
    CHANGE_REQUESTS = "change_requests", "No open change request older than N days"
    KPIS_DEFINED = "kpis_defined", "Business and technical KPIs defined"


class VoteRule(models.TextChoices):
    ALL = "all", "All gatekeepers approve"
    MAJORITY = "majority", "A majority of gatekeepers approve"


class VoteChoice(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"
    ABSTAIN = "abstain", "Abstain"


class ConditionStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
