"""Report jobs through the JSON API: request, follow, download; and bodies that must be refused
cleanly."""

from __future__ import annotations

import json

import pytest

from reports.models import JobStatus, ReportJob

from .test_api import REPORTS, report_body, token_for

# --- Report jobs --------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_a_report_is_requested_followed_and_downloaded(
    api, owner, reached_gate, media, django_capture_on_commit_callbacks
):
    client = api(token_for(owner))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REPORTS, report_body(reached_gate), content_type="application/json")
    assert response.status_code == 202
    queued = response.json()
    assert queued["kind"] == "board_gate_summary" and queued["version"] == 1
    assert queued["subject_id"] == reached_gate.pk

    job = client.get(f"/api/reports/jobs/{queued['id']}").json()
    assert job["status"] == "done" and job["progress"] == 100
    assert job["download_url"] == f"/api/reports/jobs/{queued['id']}/download"

    download = client.get(job["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == (
        'attachment; filename="support-ticket-triage-gate-1-board-summary-v1.pdf"'
    )
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_two_quick_requests_make_one_job(api, owner, reached_gate):
    client = api(token_for(owner))
    ids = {
        client.post(REPORTS, report_body(reached_gate), content_type="application/json").json()[
            "id"
        ]
        for _ in range(2)
    }
    assert len(ids) == 1 and ReportJob.objects.count() == 1


def test_an_unfinished_report_cannot_be_downloaded_yet(api, owner, reached_gate):
    client = api(token_for(owner))
    job = client.post(REPORTS, report_body(reached_gate), content_type="application/json")
    response = client.get(f"/api/reports/jobs/{job.json()['id']}/download")
    assert response.status_code == 409
    assert "not ready" in response.json()["detail"]
    assert ReportJob.objects.get().status == JobStatus.QUEUED


def test_a_report_for_a_gate_not_reached_is_409_with_the_reason(api, owner, engagement):
    gate = engagement.gates.get(number=3)
    response = api(token_for(owner)).post(
        REPORTS, report_body(gate), content_type="application/json"
    )
    assert response.status_code == 409
    assert "not reached yet" in response.json()["detail"]
    assert not ReportJob.objects.exists()


def test_an_unknown_report_kind_is_404(api, owner, reached_gate):
    response = api(token_for(owner)).post(
        REPORTS,
        {"kind": "salary_list", "subject_id": reached_gate.pk},
        content_type="application/json",
    )
    assert response.status_code == 404


HOSTILE_BODIES = [
    "{not json",
    "",
    "null",
    "[]",
    '"board_gate_summary"',
    "12",
    '{"kind": "board_gate_summary"}',
    '{"kind": 12, "subject_id": "one"}',
    '{"kind": ["board_gate_summary"], "subject_id": {"$gt": 0}}',
    '{"kind": "board_gate_summary", "subject_id": 1e400}',
    '{"kind": "board_gate_summary", "subject_id": 99999999999999999999999999}',
    '{"kind": "board_gate_summary", "subject_id": -1}',
    '{"kind": "board_gate_summary", "subject_id": 1, "organisation": 2}',
    '{"kind": "../../etc/passwd", "subject_id": 1}',
    '{"kind": "<script>alert(1)</script>", "subject_id": 1}',
    json.dumps({"kind": "k" * 20_000, "subject_id": 1}),
    json.dumps({"kind": "board_gate_summary", "subject_id": 1, "x" * 20_000: 1}),
    '{"kind": "board_gate_summary\\u0000", "subject_id": 1}',
    "\xff\xfe",
]


@pytest.mark.parametrize("body", HOSTILE_BODIES)
def test_hostile_bodies_get_a_4xx_json_answer_and_change_nothing(api, owner, engagement, body):
    response = api(token_for(owner)).post(
        REPORTS, body.encode("utf-8", "surrogatepass"), content_type="application/json"
    )
    assert 400 <= response.status_code < 500, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]
    assert not ReportJob.objects.exists()


def test_unknown_fields_are_named_in_the_error(api, owner, reached_gate):
    body = report_body(reached_gate) | {"organisation": 2}
    response = api(token_for(owner)).post(REPORTS, body, content_type="application/json")
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["type"] == "extra_forbidden" and error["loc"][-1] == "organisation"


def test_a_form_encoded_body_is_refused_cleanly(api, owner, reached_gate):
    response = api(token_for(owner)).post(REPORTS, report_body(reached_gate))
    assert response.status_code in (400, 422)
    assert not ReportJob.objects.exists()
