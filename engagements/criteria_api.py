"""A gate's readiness as JSON, mounted under /api/engagements/ (see `engagements.api`): what
the gate's criteria page shows — each criterion's state and why, every must-meet met?, the
should-meet score and the recommendation with its reasons. Read-only; internal roles only."""

# No `from __future__ import annotations`: ninja reads the route signatures at import time.
from typing import Annotated

from django.utils import timezone
from ninja import Field, Path, Router, Schema

from accounts.access import get_scoped
from api.access import ObjectId, requires

from .criteria import gate_readiness
from .facts import facts_for
from .models import Engagement, Gate, GateCriterion, RiskSettings

router = Router(tags=["engagements"])
GateNumber = Annotated[int, Path(ge=1, le=3)]


class CriterionStateOut(Schema):
    id: int
    key: str = Field(description="The guide's key; empty for a criterion an owner added.")
    title: str
    kind: str = Field(description="must | should")
    weight: int
    met_by: str
    met: bool
    state: str = Field(description="met | unmet | stale | missing")
    reason: str
    link: str | None = Field(description="Where the data behind it is (a page's path).")


class ReadinessOut(Schema):
    gate: int
    recommendation: str = Field(description="go | conditional_go | recycle | no_go | hold")
    recommendation_label: str
    reasons: list[str]
    must_met: bool
    must_count: list[int] = Field(description="[met, total] must-meet criteria.")
    should_score: int | None = Field(description="0–100; null without should-meet criteria.")
    criteria: list[CriterionStateOut]


@router.get(
    "/{engagement_id}/gates/{number}/readiness",
    response=ReadinessOut,
    url_name="gate_readiness",
)
@requires("gate.view")
def gate_readiness_route(request, engagement_id: ObjectId, number: GateNumber):
    """The gate's readiness and recommendation, computed now from the engagement's data."""
    membership = request.membership
    engagement = get_scoped(
        request, Engagement.objects.prefetch_related("phases"), pk=engagement_id
    )
    gate = get_scoped(
        request, Gate.objects.prefetch_related("decisions"), engagement=engagement, number=number
    )
    criteria = GateCriterion.objects.restrict(membership).filter(gate=gate).for_gate()
    today = timezone.localdate()
    facts = facts_for(engagement, today, with_money=False)
    settings = RiskSettings.for_organisation(engagement.organisation_id)
    readiness = gate_readiness(gate, list(criteria), facts, settings, today)
    return {"gate": gate.number} | readiness.snapshot()
