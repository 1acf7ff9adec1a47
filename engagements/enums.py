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
    NO_GO = "no_go", "No-Go"
    HOLD = "hold", "Hold"
    RECYCLE = "recycle", "Recycle"


FINAL_OUTCOMES = (Outcome.GO, Outcome.NO_GO)


class KpiKind(models.TextChoices):
    BUSINESS = "business", "Business"
    TECHNICAL = "technical", "Technical"
