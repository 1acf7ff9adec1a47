"""The engagements app's models, one module per feature; everything is importable from here."""

from .core import (  # noqa: F401  (the names other modules import from engagements.models)
    DATE_BOUNDS,
    EARLIEST,
    FINAL_OUTCOMES,
    GATE_QUESTIONS,
    LATEST,
    PHASES,
    BillingModel,
    Currency,
    Engagement,
    EngagementQuerySet,
    EngagementStatus,
    Gate,
    GateDecision,
    GateDecisionQuerySet,
    ImmutableRecordError,
    Kpi,
    KpiKind,
    Outcome,
    Phase,
    PhaseStatus,
)
