"""Weekly reports pushed by the vendor's pipeline, mounted under /api/engagements/ (see
`engagements.api`): POST a week's report, PUT the current week's report as it stands. The same
rules as the page's form (`weekly_reports.report_errors`), all or nothing."""

# No `from __future__ import annotations`: ninja reads the route signatures at import time.
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.urls import reverse
from django.utils import timezone
from ninja import Field, Path, Router, Schema, Status
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import ConfigDict

from accounts.access import get_scoped
from accounts.templatetags.people import person
from api.access import ObjectId, requires
from api.schemas import Input

from .models import Engagement, WeeklyReport
from .models.weekly import MAX_EXPERIMENTS, MAX_METRICS
from .weekly_reports import (
    ExperimentInput,
    MetricInput,
    ReportInput,
    ReportRefused,
    put_report,
    submit_report,
)

router = Router()
# Given on each operation: mounted inside the engagements router, the routes would otherwise
# take its tag too and show twice in the docs (under "engagements" and "weekly reports").
TAGS = ["weekly reports"]

Year = Annotated[int, Path(ge=2000, le=2100, description="ISO year, such as 2026.")]
Week = Annotated[int, Path(ge=1, le=53, description="ISO week, 1–53.")]

KPI_NAME = "<technical KPI name>"  # the examples' placeholder: the KPI's name, exactly
EXAMPLE = f"""{{
  "year": 2026, "week": 47, "status": "on_schedule",
  "summary": "Retrained on the October export; intent F1 up on the hold-out set.",
  "hours": 112, "data_quality_score": 96.5,
  "metrics": [
    {{"name": "{KPI_NAME}", "value": 0.86, "dataset_name": "tickets-holdout",
     "dataset_version": "2026-10", "held_by": "client"}},
    {{"name": "{KPI_NAME}", "value": 0.91, "dataset_name": "tickets-dev",
     "dataset_version": "v14", "held_by": "vendor"}}
  ],
  "experiments": [
    {{"hypothesis": "Class weights lift recall on rare intents",
     "result": "Recall +4 points, precision -1", "outcome": "kept"}}
  ]
}}"""

METRIC_NAMES = f"""A metric is charted against a technical KPI's target when it has the KPI's name
(any case): in the examples, replace `{KPI_NAME}` with it, such as "Intent classifier F1". A
metric named otherwise ("F1" for that KPI) is charted on its own, with no target."""

POST_DESCRIPTION = f"""Send the report for one ISO week of the engagement, with its metrics and
experiments, all or nothing. Refused with a 409 if the week already has a report (amend it with
`PUT`), and with a 422 listing each problem (a future week, a week before the engagement
started, a data-quality score outside 0–100, negative hours, a metric that is not a number, the
same metric twice for one data holder, a stuck report without a reason). Vendor contacts may
send reports only for engagements they are assigned to (others are a 404).

{METRIC_NAMES}

From CI, with a personal API token in `HANDOVER_TOKEN`:

```sh
curl --fail-with-body -X POST https://handover.example.com/api/engagements/42/weekly-reports \\
  -H "Authorization: Bearer $HANDOVER_TOKEN" \\
  -H "Content-Type: application/json" \\
  -d '{EXAMPLE}'
```"""

PUT_DESCRIPTION = f"""The week's whole report as it stands now. `PUT` sends the complete
report, not changes to it: it replaces the week's current report, whether sent by `POST`, by an
earlier `PUT` or through the form on the site, as a new version (the earlier ones stay readable).
A field, metric or experiment you leave out is not carried over: it is gone from the current
version, so send everything the week's report should say (only an attachment uploaded through
the form stays). Created if the week has none yet,
left alone if nothing changed: `result` says `created`, `amended` or `unchanged`. A nightly
pipeline can send the current week's figures every run. Replacing an earlier week's report is
a correction and needs an `amendment_note` saying what it corrects (a 422 without one). Reports
have no draft state: what you send is what the client reads. The same rules and errors as
`POST`.

{METRIC_NAMES}

From CI, for the current ISO week:

```sh
curl --fail-with-body -X PUT \\
  "https://handover.example.com/api/engagements/42/weekly-reports/$(date +%G)/$(date +%V)" \\
  -H "Authorization: Bearer $HANDOVER_TOKEN" \\
  -H "Content-Type: application/json" \\
  -d '{{"status": "behind", "status_reason": "Labelling vendor late by a week",
       "summary": "Nightly evaluation", "hours": 96,
       "metrics": [{{"name": "{KPI_NAME}", "value": 0.84, "dataset_name": "tickets-holdout",
                    "dataset_version": "2026-10", "held_by": "client"}}]}}'
```"""


class MetricIn(Input):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1,
        max_length=100,
        description="Use the technical KPI's name to chart it against its target; any other "
        "metric under its own name (precision, p95 latency…).",
    )
    value: Decimal = Field(description="A number, such as 0.87.", allow_inf_nan=False)
    dataset_name: str = Field(min_length=1, max_length=200, description="Evaluation data set.")
    dataset_version: str = Field(min_length=1, max_length=50)
    held_by: Literal["client", "vendor"] = Field(
        description="`client`: the client's own hold-out set; `vendor`: data the vendor controls."
    )


class ExperimentIn(Input):
    model_config = ConfigDict(extra="forbid")

    hypothesis: str = Field(min_length=1, max_length=2000)
    result: str = Field(min_length=1, max_length=2000)
    outcome: Literal["kept", "dropped"]


class ReportBody(Input):
    model_config = ConfigDict(extra="forbid")

    status: Literal["on_schedule", "behind", "stuck"] = "on_schedule"
    status_reason: str = Field("", max_length=2000, description="Required when stuck.")
    summary: str = Field(min_length=1, max_length=5000)
    hours: Decimal | None = Field(None, description="Hours logged that week, 0 or more.")
    data_quality_score: Decimal | None = Field(
        None, description="Share of records passing your data validation, on a 0–100 scale."
    )
    blockers: str = Field("", max_length=5000)
    decisions: str = Field("", max_length=5000)
    metrics: list[MetricIn] = Field(default_factory=list, max_length=MAX_METRICS)
    experiments: list[ExperimentIn] = Field(default_factory=list, max_length=MAX_EXPERIMENTS)
    amendment_note: str = Field(
        "",
        max_length=2000,
        description="PUT only: what an amendment corrects; required to replace an earlier "
        "week's report.",
    )


class ReportIn(ReportBody):
    year: int = Field(ge=2000, le=2100, description="ISO year of the week reported.")
    week: int = Field(ge=1, le=53, description="ISO week number.")


class MetricOut(Schema):
    name: str
    value: Decimal
    dataset_name: str
    dataset_version: str
    held_by: str


class ExperimentOut(Schema):
    hypothesis: str
    result: str
    outcome: str


class ReportOut(Schema):
    id: int
    engagement: int
    year: int
    week: int
    version: int = Field(description="1 for the report as first sent, then one per amendment.")
    status: str
    status_reason: str
    summary: str
    hours: Decimal | None
    data_quality_score: Decimal | None
    hours_only: bool = Field(
        description="Hours logged with no data-quality score, metric or experiment."
    )
    blockers: str
    decisions: str
    amendment_note: str
    submitted_by: str = Field(description="The sender's name.")
    submitted_at: datetime
    metrics: list[MetricOut]
    experiments: list[ExperimentOut]
    url: str = Field(description="The report's page.")


class PutResult(ReportOut):
    result: Literal["created", "amended", "unchanged"]


class Problem(Schema):
    detail: str


def _input(body: ReportBody, year: int, week: int) -> ReportInput:
    return ReportInput(
        year=year,
        week=week,
        summary=body.summary,
        status=body.status,
        status_reason=body.status_reason,
        hours=body.hours,
        data_quality_score=body.data_quality_score,
        blockers=body.blockers,
        decisions=body.decisions,
        metrics=[MetricInput(**m.model_dump()) for m in body.metrics],
        experiments=[ExperimentInput(**e.model_dump()) for e in body.experiments],
        amendment_note=body.amendment_note,
    )


def _refusal(refused: ReportRefused, path_week: bool = False):
    """A 409 with the reason, or a 422 in ninja's own shape: each problem at its place."""
    if refused.conflict:
        return HttpError(409, refused.conflict)
    return NinjaValidationError(
        [
            {
                "type": "value_error",
                "loc": ["path", *loc] if path_week and loc == ("week",) else ["body", *loc],
                "msg": message,
            }
            for loc, message in refused.errors
        ]
    )


def plain(value: Decimal | None) -> Decimal | None:
    """One way to write each figure, whether the report was just sent or read back from the
    database (96, 96.0 → 96; 0.8600 → 0.86), never in exponent form (1E+2 → 100)."""
    if value is None:
        return None
    value = Decimal(value).normalize()
    return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value


def _out(report: WeeklyReport) -> dict:
    metrics = list(report.metrics.all())
    experiments = list(report.experiments.all())
    report.has_metrics, report.has_experiments = bool(metrics), bool(experiments)
    return {
        "id": report.pk,
        "engagement": report.engagement_id,
        **{
            name: getattr(report, name)
            for name in (
                "year",
                "week",
                "version",
                "status",
                "status_reason",
                "summary",
                "blockers",
                "decisions",
                "amendment_note",
                "submitted_at",
            )
        },
        "hours": plain(report.hours),
        "data_quality_score": plain(report.data_quality_score),
        "hours_only": report.hours_only,
        "submitted_by": person(report.submitted_by),
        "metrics": [
            {
                "name": m.name,
                "value": plain(m.value),
                "dataset_name": m.dataset_name,
                "dataset_version": m.dataset_version,
                "held_by": m.held_by,
            }
            for m in metrics
        ],
        "experiments": [
            {"hypothesis": e.hypothesis, "result": e.result, "outcome": e.outcome}
            for e in experiments
        ],
        "url": reverse("engagements:weekly_report", args=[report.engagement_id, report.pk]),
    }


@router.post(
    "/{engagement_id}/weekly-reports",
    response={201: ReportOut, 409: Problem},
    url_name="weekly_report_create",
    tags=TAGS,
    summary="Send a week's report",
    description=POST_DESCRIPTION,
)
@requires("weekly_report.submit")
def weekly_report_create(request, engagement_id: ObjectId, report: ReportIn):
    engagement = get_scoped(request, Engagement.objects, pk=engagement_id)
    try:
        created = submit_report(
            engagement, _input(report, report.year, report.week), request.user, timezone.localdate()
        )
    except ReportRefused as refused:
        raise _refusal(refused) from None
    return Status(201, _out(created))


@router.put(
    "/{engagement_id}/weekly-reports/{year}/{week}",
    response={200: PutResult, 409: Problem},
    url_name="weekly_report_put",
    tags=TAGS,
    summary="Send or update a week's report",
    description=PUT_DESCRIPTION,
)
@requires("weekly_report.submit")
def weekly_report_put(request, engagement_id: ObjectId, year: Year, week: Week, report: ReportBody):
    engagement = get_scoped(request, Engagement.objects, pk=engagement_id)
    try:
        saved, result = put_report(
            engagement, _input(report, year, week), request.user, timezone.localdate()
        )
    except ReportRefused as refused:
        raise _refusal(refused, path_week=True) from None
    return Status(200, _out(saved) | {"result": result})
