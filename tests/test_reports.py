"""The report pipeline in-process (eager tasks); test_worker.py runs it on a real worker."""

from __future__ import annotations

import http.server
import io
import re
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from engagements.models import Outcome
from reports import service, tasks
from reports.models import JobStatus, ReportJob
from reports.rendering import render_pdf

from .conftest import decide, make_engagement, request_job


def pdf_text(job: ReportJob) -> str:
    with job.file.open("rb") as handle:
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def request_pdf(client, gate, **extra):
    return client.post(reverse("reports:request", args=["board_gate_summary", gate.pk]), **extra)


@pytest.mark.django_db(transaction=True)
def test_board_pdf_is_rendered_with_title_decision_and_kpis(client_for, owner, org):
    engagement = make_engagement(org, owner, title="Invoice extraction — <b>EU</b>")
    gate = decide(engagement, 1, Outcome.GO, owner, rationale="Baseline F1 0.81.").gate
    response = request_pdf(client_for(owner), gate)
    job = ReportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("reports:job", args=[job.pk])
    assert job.status == JobStatus.DONE and job.progress == 100 and job.attempts == 1
    text = pdf_text(job)
    assert "Invoice extraction — <b>EU</b>" in text
    assert "decision recorded" in text.lower() and "Baseline F1 0.81." in text
    assert "\nGo\n" in text
    assert "Manual tickets" in text and "Discovery & PoC" in text and "$250,000" in text


@pytest.mark.django_db(transaction=True)
def test_htmx_request_returns_the_status_partial_and_download_works(client_for, owner, org):
    gate = make_engagement(org, owner).gates.get(number=1)
    client = client_for(owner)
    response = request_pdf(client, gate, HTTP_HX_REQUEST="true")
    job = ReportJob.objects.get()
    assert "<html" not in response.content.decode()
    status = client.get(reverse("reports:job", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert "Download PDF" in status.content.decode()
    assert 'hx-trigger="every 1s"' not in status.content.decode()  # finished: polling stops
    download = client.get(reverse("reports:download", args=[job.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == (
        'attachment; filename="support-ticket-triage-gate-1-board-summary-v1.pdf"'
    )
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert "decision requested" in pdf_text(job).lower()


def test_a_queued_job_polls_until_it_finishes(client_for, owner, decided_gate, org):
    job = request_job(decided_gate, owner)
    page = client_for(owner).get(reverse("reports:job", args=[job.pk]), HTTP_HX_REQUEST="true")
    body = page.content.decode()
    assert 'hx-trigger="every 1s"' in body and "<progress" in body


def test_each_request_is_a_new_version_and_earlier_files_are_kept(owner, decided_gate, org):
    jobs = [request_job(decided_gate, owner) for _ in range(2)]
    for job in jobs:
        tasks.render_report.apply(args=[job.pk])
    assert [j.version for j in jobs] == [1, 2]
    names = {ReportJob.objects.get(pk=j.pk).file.name for j in jobs}
    assert len(names) == 2


def test_running_the_task_twice_leaves_one_current_file(owner, decided_gate, org, tmp_path):
    job = request_job(decided_gate, owner)
    tasks.render_report.apply(args=[job.pk])
    first = ReportJob.objects.get(pk=job.pk).file.name
    # A redelivered message after success changes nothing …
    tasks.render_report.apply(args=[job.pk])
    # … and a forced re-render writes the same name, not a second file.
    ReportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    tasks.render_report.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.file.name == first and job.status == JobStatus.DONE
    assert len(list((tmp_path / "reports").rglob("*.pdf"))) == 1


def test_transient_failures_are_retried_then_shown_honestly(owner, decided_gate, org, monkeypatch):
    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise OSError("disk full")

    monkeypatch.setattr(tasks, "render_pdf", broken)
    job = request_job(decided_gate, owner)
    tasks.render_report.apply(args=[job.pk])
    job.refresh_from_db()
    assert len(calls) == tasks.MAX_RETRIES + 1
    assert job.status == JobStatus.FAILED and "disk full" in job.error
    assert not job.file


def test_a_missing_subject_fails_at_once_without_retrying(owner, decided_gate, org, monkeypatch):
    job = request_job(decided_gate, owner)
    ReportJob.objects.filter(pk=job.pk).update(object_id=999_999)
    tasks.render_report.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.attempts == 1
    assert "no longer exists" in job.error


def test_a_running_job_is_not_claimed_twice(owner, decided_gate, org):
    job = request_job(decided_gate, owner)
    assert job.claim()
    assert not job.claim()
    # However long it has run: a dead worker's job is the sweeper's to queue again.
    ReportJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(days=1))
    assert not job.claim()


@pytest.fixture
def loopback_server():
    """An HTTP server on 127.0.0.1 that counts the requests it gets (and answers each with a
    stylesheet that would print a marker), so a test can prove nothing was fetched."""
    requests = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            body = b'body::after { content: "FETCHED-OVER-HTTP"; }'
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


def test_a_report_fetches_no_file_and_no_url(settings, tmp_path, loopback_server):
    """Through the real render_pdf: a document pointing at local files and at a server gets
    neither (the marker a fetched file would print is absent, the server saw no request)."""
    base, requests = loopback_server
    marker = f"LOCAL-FILE-READ-{uuid.uuid4().hex}"
    secret_css = tmp_path / "secret.css"
    secret_css.write_text(f'body::before {{ content: "{marker}"; }}')
    secret_text = tmp_path / "secret.txt"
    secret_text.write_text(marker)
    probe = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
      <link rel="stylesheet" href="{secret_css.as_uri()}">
      <link rel="stylesheet" href="{base}/style.css">
      <style>@import url("{base}/import.css");</style></head>
      <body><p>Probe</p>
      <img src="file:///etc/passwd" alt=""><img src="{secret_text.as_uri()}" alt="">
      <img src="{base}/x.png" alt=""><object data="{secret_text.as_uri()}"></object>
      <div style="background: url('{base}/bg.png')">background</div></body></html>"""
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [("django.template.loaders.locmem.Loader", {"probe.html": probe})]
            },
        }
    ]
    pdf = render_pdf("probe.html", {})
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Probe" in text  # it did render
    assert marker not in text and "FETCHED-OVER-HTTP" not in text
    assert requests == []


def test_a_pdf_for_a_gate_not_yet_reached_is_refused_with_a_reason(client_for, owner, engagement):
    gate = engagement.gates.get(number=3)
    response = request_pdf(client_for(owner), gate)
    assert response.status_code == 409
    assert "Gate 3 is not reached yet" in response.content.decode()
    assert not ReportJob.objects.exists()


def test_the_engagement_page_shows_each_gates_newest_version(client_for, owner, decided_gate, org):
    for _ in range(3):
        request_job(decided_gate, owner)
    latest = ReportJob.objects.latest_by_subject("board_gate_summary", [decided_gate])
    assert latest[decided_gate.pk].version == 3
    page = client_for(owner).get(reverse("engagements:detail", args=[decided_gate.engagement_id]))
    assert "v3" in page.content.decode()


def test_report_jobs_go_with_their_gate(owner, org):
    engagement = make_engagement(org, owner)
    request_job(engagement.gates.get(number=1), owner)
    engagement.delete()
    assert not ReportJob.objects.exists()


def owners_membership(owner):
    return owner.memberships.select_related("organisation").get()


def test_two_clicks_on_board_pdf_make_one_job(client_for, owner, decided_gate):
    client = client_for(owner)
    first, second = request_pdf(client, decided_gate), request_pdf(client, decided_gate)
    job = ReportJob.objects.get()
    assert first.url == second.url == reverse("reports:job", args=[job.pk])
    # Still the same job just after it finished; a few seconds later, a new version.
    ReportJob.objects.update(status=JobStatus.DONE)
    assert request_pdf(client, decided_gate).url == first.url
    ReportJob.objects.update(
        status=JobStatus.DONE, created_at=timezone.now() - service.REPEAT_WINDOW
    )
    request_pdf(client, decided_gate)
    assert sorted(ReportJob.objects.values_list("version", flat=True)) == [1, 2]


def test_a_click_while_the_pdf_still_renders_returns_that_job(owner, decided_gate):
    job = request_job(decided_gate, owner)
    ReportJob.objects.update(created_at=timezone.now() - timedelta(hours=1))
    again = service.request_report(
        membership=owners_membership(owner),
        user=owner,
        kind="board_gate_summary",
        subject_pk=decided_gate.pk,
    )
    assert again == job and ReportJob.objects.count() == 1


def test_each_member_gets_their_own_job(client_for, owner, admin, decided_gate):
    request_pdf(client_for(owner), decided_gate)
    request_pdf(client_for(admin), decided_gate)
    assert ReportJob.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_requests_make_one_job(org, owner, monkeypatch):
    gate = make_engagement(org, owner).gates.get(number=1)
    membership = owners_membership(owner)
    monkeypatch.setattr(tasks.render_report, "delay_on_commit", lambda job_id: None)
    create = ReportJob.request

    def slow_create(**kwargs):
        time.sleep(0.3)  # both requests have looked for a recent job by now, unless serialised
        return create(**kwargs)

    monkeypatch.setattr(ReportJob, "request", slow_create)
    start, jobs = threading.Barrier(2), []

    def click():
        start.wait()
        try:
            jobs.append(
                service.request_report(
                    membership=membership, user=owner, kind="board_gate_summary", subject_pk=gate.pk
                )
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(jobs) == 2 and jobs[0].pk == jobs[1].pk
    assert ReportJob.objects.count() == 1


def test_an_unknown_kind_is_404(client_for, owner, decided_gate):
    url = reverse("reports:request", args=["no_such_report", decided_gate.pk])
    assert client_for(owner).post(url).status_code == 404


def test_a_role_that_may_not_request_this_kind_gets_403(client_for, board, decided_gate):
    response = request_pdf(client_for(board), decided_gate)
    assert response.status_code == 403
    assert "does not allow this" in response.content.decode()
    assert not ReportJob.objects.exists()


def test_an_unavailable_report_is_explained_in_place_to_htmx(client_for, owner, engagement):
    gate = engagement.gates.get(number=3)
    response = request_pdf(client_for(owner), gate, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    # 200, because htmx (base.html) swaps no 4xx: the reason replaces the panel's status.
    assert response.status_code == 200 and "<html" not in body
    assert 'role="alert"' in body and "Gate 3 is not reached yet" in body
    assert not ReportJob.objects.exists()


def test_the_panel_offers_the_button_only_for_reached_gates_to_roles_that_may_ask(
    client_for, owner, board, vendor, decided_gate
):
    engagement = decided_gate.engagement
    url = reverse("engagements:detail", args=[engagement.pk])
    actions = {
        gate.number: f'action="{reverse("reports:request", args=["board_gate_summary", gate.pk])}"'
        for gate in engagement.gates.all()
    }
    page = client_for(owner).get(url).content.decode()
    # Gate 1 has its Go, so gates 1 and 2 are reached; gate 3 is not.
    assert actions[1] in page and actions[2] in page and actions[3] not in page
    job = request_job(decided_gate, owner)
    page = client_for(board).get(url).content.decode()
    assert f"v{job.version}" in page and "Board PDF" not in page
    engagement.vendor_contacts.add(vendor.memberships.get())
    page = client_for(vendor).get(url).content.decode()
    assert job.title not in page and "Board PDF" not in page


def test_the_engagement_page_reads_every_gates_reports_in_one_query(
    client_for, owner, decided_gate, django_assert_num_queries
):
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    client = client_for(owner)
    url = reverse("engagements:detail", args=[decided_gate.engagement_id])
    client.get(url)  # warm the content-type cache
    with CaptureQueriesContext(conn) as without_jobs:
        client.get(url)
    for gate in decided_gate.engagement.gates.all():
        request_job(gate, owner)
        request_job(gate, owner)
    with django_assert_num_queries(len(without_jobs)):
        page = client.get(url).content.decode()
    assert page.count("· v2") == 3
    report_queries = [q for q in without_jobs.captured_queries if "reports_reportjob" in q["sql"]]
    assert len(report_queries) == 1


def test_the_board_pdf_button_works_without_javascript(owner, decided_gate):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    page = client.get(reverse("engagements:detail", args=[decided_gate.engagement_id]))
    action = reverse("reports:request", args=["board_gate_summary", decided_gate.pk])
    html = page.content.decode()
    form = re.search(rf'<form method="post" action="{action}".*?</form>', html, re.S)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(0)).group(1)
    response = client.post(action, {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert response.url == reverse("reports:job", args=[ReportJob.objects.get().pk])


def test_a_repeat_click_after_a_decision_makes_a_new_version(
    client_for, owner, engagement, django_capture_on_commit_callbacks
):
    """Two clicks make one job — unless the gate was decided between them: the board must not
    be handed a PDF that still asks for a decision already made."""
    gate = engagement.gates.get(number=1)
    client = client_for(owner)
    url = reverse("reports:request", args=["board_gate_summary", gate.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)  # rendered at once (eager tasks)
    assert ReportJob.objects.get().status == JobStatus.DONE
    decide(engagement, 1, Outcome.GO, owner, on=timezone.localdate())
    client.post(url)
    assert list(ReportJob.objects.order_by("version").values_list("version", flat=True)) == [1, 2]
