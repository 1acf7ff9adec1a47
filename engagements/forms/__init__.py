"""The engagements app's forms, one module per feature (core: engagements, plan, KPIs;
decisions: the gate decision)."""

from .core import (  # noqa: F401  (what views and tests import from engagements.forms)
    ADD_KPI,
    DATE,
    BaseKpiFormSet,
    BasePhaseFormSet,
    EngagementEditForm,
    EngagementForm,
    FigureField,
    KpiForm,
    KpiFormSet,
    MoneyField,
    PhaseForm,
    PhaseFormSet,
    PlanForm,
    focus_last_kpi,
    with_another_kpi,
    without_errors,
)
from .decisions import DecisionForm  # noqa: F401
