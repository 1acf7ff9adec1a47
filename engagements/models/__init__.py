"""The engagements app's models, one module per feature; everything is importable from here."""

from ..enums import FINAL_OUTCOMES, GATE_QUESTIONS, Outcome  # noqa: F401
from .change_requests import ChangeRequest, ChangeRequestStatus  # noqa: F401
from .checklists import ChecklistItem, ChecklistList, ItemStatus  # noqa: F401
from .core import (  # noqa: F401  (the names other modules import from engagements.models)
    DATE_BOUNDS,
    EARLIEST,
    LATEST,
    PHASES,
    BillingModel,
    Currency,
    Engagement,
    EngagementQuerySet,
    EngagementStatus,
    Kpi,
    KpiKind,
    Phase,
    PhaseStatus,
)
from .decision_log import DecisionCategory, DecisionLogEntry  # noqa: F401
from .gate_reviews import GateCondition, GateCriterion, GateVote, PlanBaseline  # noqa: F401
from .gates import Gate, GateDecision, GateDecisionQuerySet, ImmutableRecordError  # noqa: F401
from .milestones import Milestone, MilestoneStatus  # noqa: F401
from .radar import Reminder, ReminderKind, RiskSettings  # noqa: F401
from .spend import Invoice  # noqa: F401
from .weekly import (  # noqa: F401
    DataHolder,
    Experiment,
    ExperimentOutcome,
    ReportMetric,
    ReportStatus,
    WeeklyReport,
)
