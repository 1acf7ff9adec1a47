"""The engagements' JSON routes, mounted at /api/engagements/ by the api app: the portfolio,
one engagement projected like its page, and its phases, gates and decisions (read-only)."""

# No `from __future__ import annotations`: ninja reads the route signatures at import time.
from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Query, Router, Schema

from accounts.access import get_scoped
from accounts.templatetags.people import person
from accounts.tenancy import RestrictedPrefetch
from api.access import ObjectId, requires
from api.pagination import Page, PageParams, paginate
from api.projection import projection

from .models import Engagement, Gate, GateDecision, Phase

router = Router(tags=["engagements"])

INTERNAL = "Absent for roles that may not read internal fields (vendor contacts)."


class EngagementSummary(Schema):
    id: int
    title: str
    vendor_name: str
    budget: Decimal | None = Field(None, description=INTERNAL)
    currency: str
    start_date: date
    status: str
    current_phase: int | None = Field(description="Number of the active phase, if any.")
    next_gate: int | None = Field(description="Number of the next gate to decide, if any.")


class EngagementList(Page):
    items: list[EngagementSummary]


class EngagementOut(EngagementSummary):
    business_problem: str
    outsourcing_reason: str | None = Field(None, description=INTERNAL)
    created_at: datetime
    updated_at: datetime


class PhaseOut(Schema):
    number: int
    name: str
    billing_model: str
    planned_start: date
    planned_end: date
    actual_start: date | None
    actual_end: date | None
    status: str


class DecisionOut(Schema):
    id: int
    gate: int
    outcome: str
    rationale: str | None = Field(None, description=INTERNAL)
    attendees: str | None = Field(None, description=INTERNAL)
    decided_by: str = Field(description="The decider's name.")
    decided_on: date
    new_end_date: date | None
    override_reason: str | None = Field(
        None, description="Why Go despite unmet must-meet criteria (empty: none). " + INTERNAL
    )
    vote_reason: str | None = Field(
        None, description="Why decide against the gatekeepers' votes (empty: none). " + INTERNAL
    )
    recorded_at: datetime


class GateOut(Schema):
    number: int
    question: str
    decisions: list[DecisionOut]


SUMMARY_FIELDS = ("id", "title", "vendor_name", "budget", "currency", "start_date", "status")
DETAIL_FIELDS = (*SUMMARY_FIELDS, "business_problem", "outsourcing_reason")
DECISION_FIELDS = (
    "id",
    "outcome",
    "rationale",
    "attendees",
    "decided_on",
    "new_end_date",
    "override_reason",
    "vote_reason",
)


def _summary(engagement: Engagement, fields: dict) -> dict:
    phase = engagement.current_phase
    return fields | {
        "current_phase": phase.number if phase else None,
        "next_gate": engagement.next_gate_number,
    }


def _decisions(membership):
    """Decisions as `membership` may read them (the deliberation is internal)."""
    fields = projection(membership, GateDecision, DECISION_FIELDS)

    def serialise(decision: GateDecision, gate_number: int) -> dict:
        return fields(decision) | {
            "gate": gate_number,
            "decided_by": person(decision.decided_by),
            "recorded_at": decision.recorded_at,
        }

    return serialise


@router.get("", response=EngagementList, exclude_unset=True, url_name="engagement_list")
@requires("engagement.view")
def engagement_list(request, params: Query[PageParams]):
    """The engagements you may see, newest first, a page at a time."""
    membership = request.membership
    engagements = Engagement.objects.restrict(membership).for_portfolio(membership)
    meta, rows = paginate(engagements, params)
    fields = projection(membership, Engagement, SUMMARY_FIELDS)
    return meta | {"items": [_summary(e, fields(e)) for e in rows]}


@router.get(
    "/{engagement_id}", response=EngagementOut, exclude_unset=True, url_name="engagement_detail"
)
@requires("engagement.view")
def engagement_detail(request, engagement_id: ObjectId):
    """One engagement, with the fields its page shows you."""
    queryset = Engagement.objects.prefetch_related(
        RestrictedPrefetch("phases", request.membership, Phase.objects.all())
    )
    engagement = get_scoped(request, queryset, pk=engagement_id)
    fields = projection(request.membership, Engagement, DETAIL_FIELDS)
    return _summary(engagement, fields(engagement)) | {
        "created_at": engagement.created_at,
        "updated_at": engagement.updated_at,
    }


@router.get("/{engagement_id}/phases", response=list[PhaseOut], url_name="engagement_phases")
@requires("engagement.view")
def engagement_phases(request, engagement_id: ObjectId):
    """The engagement's three phases, in order, with planned and actual dates."""
    engagement = get_scoped(request, Engagement.objects, pk=engagement_id)
    return Phase.objects.restrict(request.membership).filter(engagement=engagement)


@router.get(
    "/{engagement_id}/gates",
    response=list[GateOut],
    exclude_unset=True,
    url_name="engagement_gates",
)
@requires("engagement.view")
def engagement_gates(request, engagement_id: ObjectId):
    """The engagement's three gates and the decisions recorded at each, oldest first."""
    membership = request.membership
    engagement = get_scoped(request, Engagement.objects, pk=engagement_id)
    gates = (
        Gate.objects.restrict(membership)
        .filter(engagement=engagement)
        .prefetch_related(
            RestrictedPrefetch(
                "decisions", membership, GateDecision.objects.select_related("decided_by")
            )
        )
    )
    serialise = _decisions(membership)
    return [
        {
            "number": gate.number,
            "question": gate.question,
            "decisions": [serialise(d, gate.number) for d in gate.decisions.all()],
        }
        for gate in gates
    ]


@router.get(
    "/{engagement_id}/decisions",
    response=list[DecisionOut],
    exclude_unset=True,
    url_name="engagement_decisions",
)
@requires("engagement.view")
def engagement_decisions(request, engagement_id: ObjectId):
    """Every decision recorded on the engagement, in the order they were recorded."""
    engagement = get_scoped(request, Engagement.objects, pk=engagement_id)
    decisions = (
        GateDecision.objects.restrict(request.membership)
        .filter(gate__engagement=engagement)
        .select_related("decided_by", "gate")
    )
    serialise = _decisions(request.membership)
    return [serialise(d, d.gate.number) for d in decisions]


# Weekly reports pushed by vendors' pipelines: POST and PUT under /{engagement_id}/weekly-reports
# (engagements/weekly_api.py).
from .weekly_api import router as weekly_reports_router  # noqa: E402

router.add_router("", weekly_reports_router)

# A gate's readiness and recommendation: GET /{engagement_id}/gates/{number}/readiness
# (engagements/criteria_api.py).
from .criteria_api import router as readiness_router  # noqa: E402

router.add_router("", readiness_router)
