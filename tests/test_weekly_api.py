"""Weekly reports pushed by a vendor's pipeline: POST and PUT through the JSON API, the same
rules as the form, errors as JSON, and the OpenAPI description's examples."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from api.models import ApiToken
from engagements.models import (
    WeeklyReport,
)

# --- The API ------------------------------------------------------------------------------


def token_client(client, user):
    secret = ApiToken.issue(user.memberships.get(), "ci")[1]
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


def post_json(client, url, body, method="post"):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


BODY = {
    "year": 2026,
    "week": 3,
    "summary": "Baseline retrained.",
    "hours": 112,
    "data_quality_score": 96.5,
    "metrics": [
        {
            "name": "F1",
            "value": 0.86,
            "dataset_name": "tickets-holdout",
            "dataset_version": "2026-01",
            "held_by": "client",
        },
        {
            "name": "F1",
            "value": 0.91,
            "dataset_name": "tickets-dev",
            "dataset_version": "v14",
            "held_by": "vendor",
        },
    ],
    "experiments": [{"hypothesis": "Class weights", "result": "Recall +4", "outcome": "kept"}],
}


def test_a_vendor_pipeline_posts_a_weekly_report(client, assigned_vendor, engagement):
    api = token_client(client, assigned_vendor)
    url = reverse("api:weekly_report_create", args=[engagement.pk])
    response = post_json(api, url, BODY)
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["version"], data["hours_only"], data["submitted_by"]) == (
        1,
        False,
        "vendor@acme.test",
    )
    assert [(m["value"], m["held_by"]) for m in data["metrics"]] == [
        ("0.86", "client"),
        ("0.91", "vendor"),
    ]
    assert (data["hours"], data["data_quality_score"]) == ("112", "96.5")
    again = post_json(api, url, BODY)
    assert again.status_code == 409
    assert "already a report for week 2026-W03" in again.json()["detail"]


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        ({"data_quality_score": 140}, ["body", "data_quality_score"], "0–100 scale"),
        ({"hours": -1}, ["body", "hours"], "Hours cannot be negative."),
        ({"year": 2101}, None, "less than or equal to 2100"),
        ({"year": 2099, "week": 50}, ["body", "week"], "has not started yet"),
        ({"week": 1}, ["body", "week"], "before the engagement started"),
        ({"status": "stuck"}, ["body", "status_reason"], "Say why the work is stuck"),
        (
            {
                "metrics": [
                    {
                        "name": "F1",
                        "value": "high",
                        "dataset_name": "d",
                        "dataset_version": "1",
                        "held_by": "client",
                    }
                ]
            },
            ["body", "metrics", 0, "value"],
            "valid decimal",
        ),
        ({"hours": "lots"}, ["body", "hours"], "valid decimal"),  # a type error, as ninja says
        (
            {"metrics": [BODY["metrics"][0], BODY["metrics"][0]]},
            ["body", "metrics", 1, "name"],
            "already reported above",
        ),
        ({"surprise": 1}, None, "Extra inputs are not permitted"),
    ],
)
def test_bad_input_on_the_api_is_a_422_with_reasons_and_nothing_written(
    client, assigned_vendor, engagement, change, where, message
):
    api = token_client(client, assigned_vendor)
    body = BODY | change
    response = post_json(api, reverse("api:weekly_report_create", args=[engagement.pk]), body)
    assert response.status_code == 422, response.content
    errors = response.json()["detail"]
    assert any(message in e["msg"] for e in errors), errors
    if where:
        assert where in [e["loc"] for e in errors]
    assert not WeeklyReport.objects.exists()


def test_a_vendor_contact_cannot_post_to_an_engagement_not_assigned_to_them(
    client, vendor, engagement
):
    api = token_client(client, vendor)
    response = post_json(api, reverse("api:weekly_report_create", args=[engagement.pk]), BODY)
    assert response.status_code == 404 and response.json()["detail"]
    assert not WeeklyReport.objects.exists()


def test_put_creates_then_amends_and_leaves_an_unchanged_week_alone(
    client, assigned_vendor, engagement
):
    api = token_client(client, assigned_vendor)
    url = reverse("api:weekly_report_put", args=[engagement.pk, 2026, 3])
    body = {k: v for k, v in BODY.items() if k not in ("year", "week")}
    first = post_json(api, url, body | {"hours": 96}, "put").json()
    assert (first["result"], first["version"]) == ("created", 1)
    again = post_json(api, url, body | {"hours": 96}, "put").json()
    assert again["result"] == "unchanged"
    # Just written or read back from the database, a figure reads the same.
    figures = ("hours", "data_quality_score")
    assert [again[k] for k in figures] == [first[k] for k in figures] == ["96", "96.5"]
    assert again["metrics"] == first["metrics"]
    body["hours"] = 96
    body["metrics"] = [{**BODY["metrics"][0], "value": 0.88}]
    amended = post_json(api, url, body | {"amendment_note": "Nightly run"}, "put").json()
    assert (amended["result"], amended["version"]) == ("amended", 2)
    assert WeeklyReport.objects.filter(engagement=engagement).count() == 2
    assert WeeklyReport.objects.get(is_current=False).metrics.count() == 2  # the original
    future = post_json(
        api, reverse("api:weekly_report_put", args=[engagement.pk, 2099, 1]), body, "put"
    )
    assert future.status_code == 422
    assert future.json()["detail"][0]["loc"] == ["path", "week"]


def test_the_openapi_description_has_a_curl_example_for_ci(client_for, owner):
    spec = client_for(owner).get("/api/openapi.json").json()
    post = spec["paths"]["/api/engagements/{engagement_id}/weekly-reports"]["post"]
    assert re.search(r"curl .*-X POST", post["description"])
    assert "Authorization: Bearer $HANDOVER_TOKEN" in post["description"]
    put = spec["paths"]["/api/engagements/{engagement_id}/weekly-reports/{year}/{week}"]["put"]
    assert "$(date +%G)/$(date +%V)" in put["description"]
    # PUT says plainly that it replaces the week's report, form-sent ones too, as a version.
    assert "replaces the week's current report" in " ".join(put["description"].split())
    assert "through the form" in put["description"] and "`amendment_note`" in put["description"]
    # The examples' metric name reads as the KPI's, not as a name of their own.
    for operation in (post, put):
        assert '"name": "<technical KPI name>"' in operation["description"]
        assert '"name": "F1"' not in operation["description"]
        assert "KPI's name" in operation["description"]
    metric = spec["components"]["schemas"]["MetricIn"]["properties"]["name"]
    assert "KPI's name to chart it against its target" in metric["description"]


def test_each_weekly_report_operation_appears_once_in_the_docs(client_for, owner):
    spec = client_for(owner).get("/api/openapi.json").json()
    operations = [
        (path, method, operation.get("tags"))
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
        if "weekly-reports" in path
    ]
    # Swagger lists an operation under each of its tags: one tag, one listing.
    assert sorted(operations) == [
        ("/api/engagements/{engagement_id}/weekly-reports", "post", ["weekly reports"]),
        (
            "/api/engagements/{engagement_id}/weekly-reports/{year}/{week}",
            "put",
            ["weekly reports"],
        ),
    ]


def test_text_holding_a_nul_character_is_a_422_not_a_database_error(
    client, assigned_vendor, engagement
):
    api = token_client(client, assigned_vendor)
    url = reverse("api:weekly_report_create", args=[engagement.pk])
    response = post_json(api, url, BODY | {"summary": "a\u0000b"})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert "NUL" in error["msg"] and error["loc"][-1] == "summary"
    assert not WeeklyReport.objects.exists()


def test_put_amending_an_earlier_week_says_what_it_corrects(client, assigned_vendor, engagement):
    api = token_client(client, assigned_vendor)
    url = reverse("api:weekly_report_put", args=[engagement.pk, 2026, 3])
    body = {k: v for k, v in BODY.items() if k not in ("year", "week")}
    post_json(api, url, body, "put")
    changed = body | {"summary": "Corrected."}
    refused = post_json(api, url, changed, "put")
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][-1] == "amendment_note"
    assert post_json(api, url, changed | {"amendment_note": "Typo"}, "put").status_code == 200
