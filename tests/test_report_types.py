"""Reports as infrastructure: a report type declared in an app outside `reports/` (the test app
`tests/reportapp`, installed for the test run) works end to end, and `reports/` imports no app."""

from __future__ import annotations

import ast
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse
from pypdf import PdfReader

from accounts.roles import ALL, PERMISSIONS
from engagements.models import EngagementStatus
from reports.models import JobStatus, ReportJob
from reports.registry import get_report_type

from .conftest import make_engagement, make_member

# The platform layers `reports` stands on (access, htmx, the API's plumbing for its own
# routes in reports/api.py); every other app plugs into reports, never the reverse.
PLATFORM = {"reports", "accounts", "handover", "api"}


def project_packages() -> set[str]:
    base = Path(settings.BASE_DIR).resolve()
    return {
        config.name.split(".")[0]
        for config in apps.get_app_configs()
        if base in Path(config.path).resolve().parents
        and ".venv" not in Path(config.path).resolve().parts
    }


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def test_reports_imports_no_other_app():
    others = project_packages() - PLATFORM
    assert {"engagements", "tests"} <= others  # the check sees the apps it must keep out
    reports = Path(settings.BASE_DIR) / "reports"
    offending = {
        f"{path.relative_to(settings.BASE_DIR)}: {module}"
        for path in reports.rglob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] in others
    }
    assert not offending


def test_report_types_are_found_in_each_apps_reports_module():
    assert apps.is_installed("tests.reportapp")
    assert get_report_type("engagement_brief").template == "reportapp/brief.html"
    assert get_report_type("board_gate_summary").permission == "report.request"


def request_brief(client, engagement, **extra):
    url = reverse("reports:request", args=["engagement_brief", engagement.pk])
    return client.post(url, **extra)


@pytest.mark.django_db(transaction=True)
def test_a_report_type_from_another_app_works_end_to_end(
    client_for, org, owner, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    engagement = make_engagement(org, owner, title="Claims <triage> bot")
    client = client_for(owner)
    response = request_brief(client, engagement)
    job = ReportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("reports:job", args=[job.pk])
    assert job.status == JobStatus.DONE and job.title == "Brief — Claims <triage> bot"
    page = client.get(response.url).content.decode()
    assert "Brief — Claims &lt;triage&gt; bot" in page
    assert f'href="{reverse("engagements:detail", args=[engagement.pk])}"' in page  # back link
    download = client.get(reverse("reports:download", args=[job.pk]))
    disposition = 'attachment; filename="claims-triage-bot-brief-v1.pdf"'
    assert download["Content-Disposition"] == disposition
    pdf = PdfReader(io.BytesIO(b"".join(download.streaming_content)))
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert "Brief: Claims <triage> bot" in text and "Budget: 250000" in text


def test_its_availability_rule_refuses_with_the_reason(client_for, org, owner):
    # Not started yet (a future start date makes it Planned): the test app's rule refuses.
    engagement = make_engagement(org, owner, start_date=date.today() + timedelta(days=30))
    assert engagement.status == EngagementStatus.PLANNED
    response = request_brief(client_for(owner), engagement)
    assert response.status_code == 409
    assert "A planned engagement has no brief yet." in response.content.decode()
    assert not ReportJob.objects.exists()


def test_its_own_permission_decides_who_may_request_it(client_for, org, owner, procurement):
    engagement = make_engagement(org, owner)
    # Procurement may see reports but not edit engagements, which this kind requires.
    assert request_brief(client_for(procurement), engagement).status_code == 403
    assert not ReportJob.objects.exists()


def test_another_organisations_subject_is_404(client_for, other_org, owner, outsider):
    theirs = make_engagement(other_org, outsider)
    assert request_brief(client_for(owner), theirs).status_code == 404
    assert not ReportJob.objects.exists()


def test_vendor_contacts_get_no_report_even_if_a_role_allowed_it(
    client_for, org, owner, monkeypatch
):
    engagement = make_engagement(org, owner)
    contact = make_member(org, "vendor", "lead@vendor.test")
    engagement.vendor_contacts.add(contact.memberships.get())
    job = ReportJob.request(
        kind="engagement_brief",
        subject=engagement,
        organisation=org,
        requested_by=owner,
        title="Brief",
    )
    # ReportJob declares no vendor path: a role table granting the permission changes nothing.
    monkeypatch.setitem(PERMISSIONS, "report.view", ALL)
    assert not ReportJob.objects.restrict(contact.memberships.get()).exists()
    client = client_for(contact)
    assert client.get(reverse("reports:job", args=[job.pk])).status_code == 404
    assert client.get(reverse("reports:download", args=[job.pk])).status_code == 404
