"""Invoices (spend): internal only; booked per phase with a document; bad input refused with
a reason and nothing written; deleted by owners and admins, audited; the figures and the
per-phase totals at a constant number of queries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.roles import Role
from engagements import change_requests as workflow
from engagements.models import Invoice, Outcome

from .conftest import decide, make_member
from .test_engagement_views import HOSTILE

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def add_url(engagement):
    return reverse("engagements:invoice_add", args=[engagement.pk])


def list_url(engagement):
    return reverse("engagements:invoices", args=[engagement.pk])


def payload(engagement, number=1, document=None, **overrides):
    data = {
        "phase": engagement.phases.get(number=number).pk,
        "amount": "12,500",
        "date": (engagement.start_date + timedelta(weeks=4)).isoformat(),
        "reference": "NW-2026-001",
        "document": document or SimpleUploadedFile("NW-2026-001.pdf", PDF),
    }
    return data | overrides


def book(engagement, amount, day, reference, number=1):
    return Invoice.objects.create(
        engagement=engagement,
        phase=engagement.phases.get(number=number),
        amount=Decimal(amount),
        date=day,
        reference=reference,
    )


def test_procurement_books_an_invoice_with_its_document(client_for, org, engagement):
    clerk = make_member(org, Role.PROCUREMENT)
    client = client_for(clerk)
    response = client.post(add_url(engagement), payload(engagement))
    assert response.status_code == 302
    invoice = Invoice.objects.get()
    assert invoice.amount == Decimal(12_500) and invoice.recorded_by == clerk
    assert invoice.document.name.startswith(f"uploads/{org.pk}/invoice/")
    page = client.get(list_url(engagement)).content.decode()
    assert "NW-2026-001" in page and "$12,500" in page
    download = client.get(
        reverse("files:download", args=["engagements.Invoice", invoice.pk, "document"])
    )
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF


def test_the_page_shows_budget_approved_spent_forecast_and_per_phase_totals(
    client_for, owner, engagement
):
    today = date.today()
    decide(engagement, 1, Outcome.GO, owner, on=engagement.start_date + timedelta(weeks=8))
    book(engagement, 30_000, engagement.start_date + timedelta(weeks=4), "A-1", number=1)
    book(engagement, 20_000, engagement.start_date + timedelta(weeks=8), "A-2", number=1)
    book(engagement, 15_000, today, "A-3", number=2)
    workflow.approve(
        workflow.propose(
            engagement,
            requested_by=owner,
            title="New data source",
            reason="CRM",
            impact_weeks=0,
            impact_money=Decimal(40_000),
        ),
        by=owner,
    )
    page = client_for(owner).get(list_url(engagement)).content.decode()
    assert "$290,000" in page  # 250,000 agreed + 40,000 approved changes
    assert "$65,000" in page  # spent
    assert "$50,000" in page and "$15,000" in page  # per phase
    assert "Forecast = spent + run rate × weeks left" in page
    assert 'role="img"' in page and "Budget approved $290,000; Spent $65,000; Forecast" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"amount": "-100"}, "more than zero"),
        ({"amount": "0"}, "more than zero"),
        ({"amount": "ten"}, "Enter a number"),
        ({"date": "2099-01-01"}, "in the future"),
        ({"date": "2025-12-01"}, "before the engagement started"),
        ({"reference": "  "}, "invoice reference"),
        ({"phase": "999999"}, "not one of this engagement's; reload"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_written(
    client_for, owner, engagement, overrides, message
):
    response = client_for(owner).post(add_url(engagement), payload(engagement, **overrides))
    assert response.status_code == 422
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not Invoice.objects.exists()


def test_a_phase_that_has_not_started_takes_no_invoice(client_for, owner, engagement):
    response = client_for(owner).post(add_url(engagement), payload(engagement, number=2))
    assert response.status_code == 422
    assert "Development &amp; Iteration has not started" in response.content.decode()


def test_a_duplicate_reference_is_refused(client_for, owner, engagement):
    book(engagement, 1_000, engagement.start_date, "nw-2026-001")
    response = client_for(owner).post(add_url(engagement), payload(engagement))
    assert response.status_code == 422
    assert "Invoice NW-2026-001 is already recorded" in response.content.decode()
    assert Invoice.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("invoice.pdf", b"MZ\x90\x00 an executable renamed", "not a PDF file"),
        ("setup.exe", b"MZ\x90\x00", "not a file we accept"),
    ],
)
def test_disguised_uploads_are_refused(client_for, owner, engagement, name, content, message):
    document = SimpleUploadedFile(name, content)
    response = client_for(owner).post(add_url(engagement), payload(engagement, document=document))
    assert response.status_code == 422 and message in response.content.decode()
    assert not Invoice.objects.exists()


def test_an_oversize_upload_is_refused(client_for, owner, engagement, settings):
    settings.MAX_UPLOAD_MB = 1
    document = SimpleUploadedFile("big.pdf", PDF + b"0" * 1024 * 1024)
    response = client_for(owner).post(add_url(engagement), payload(engagement, document=document))
    assert response.status_code == 422 and "1 MB at most" in response.content.decode()
    assert not Invoice.objects.exists()


def test_an_invoice_without_its_document_is_refused(client_for, owner, engagement):
    data = payload(engagement)
    del data["document"]
    response = client_for(owner).post(add_url(engagement), data)
    assert (
        response.status_code == 422 and "Attach the invoice document" in response.content.decode()
    )


def test_vendor_contacts_never_reach_invoices_or_their_files(client_for, org, owner, engagement):
    contact = make_member(org, Role.VENDOR, "vendor@northwind.test")
    engagement.vendor_contacts.add(contact.memberships.get())
    invoice = book(engagement, 9_999, engagement.start_date, "SECRET-1")
    invoice.document.save("secret.pdf", ContentFile(PDF), save=True)
    client = client_for(contact)
    assert client.get(list_url(engagement)).status_code == 403
    assert client.post(add_url(engagement), payload(engagement)).status_code == 403
    file_url = reverse("files:download", args=["engagements.Invoice", invoice.pk, "document"])
    assert client.get(file_url).status_code == 404
    detail = client.get(reverse("engagements:detail", args=[engagement.pk])).content.decode()
    assert "9,999" not in detail and "SECRET-1" not in detail


def test_owners_delete_an_invoice_and_the_trail_keeps_it(
    client_for, org, owner, engagement, django_capture_on_commit_callbacks
):
    invoice = book(engagement, 5_000, engagement.start_date, "WRONG-1")
    invoice.document.save("wrong.pdf", ContentFile(PDF), save=True)
    stored = invoice.document.name
    clerk = make_member(org, Role.PROCUREMENT)
    delete = reverse("engagements:invoice_delete", args=[invoice.pk])
    assert client_for(clerk).post(delete).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(delete)
    assert response.status_code == 302 and not Invoice.objects.exists()
    deleted = Invoice.history.get(history_type="-")
    assert deleted.reference == "WRONG-1" and deleted.history_user == owner
    assert not invoice.document.storage.exists(stored)  # the file goes with it
    activity = client_for(owner).get(reverse("engagements:activity", args=[engagement.pk]))
    assert "WRONG-1" in activity.content.decode()


def test_hostile_references_are_shown_escaped(client_for, owner, engagement):
    book(engagement, 100, engagement.start_date, HOSTILE[:100])
    page = client_for(owner).get(list_url(engagement)).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_the_invoice_list_runs_the_same_queries_at_two_sizes(
    client_for, owner, engagement, django_assert_num_queries
):
    client = client_for(owner)
    book(engagement, 100, engagement.start_date, "Q-0")
    # session, user, memberships, engagement, phases, invoice count, totals per phase, change
    # requests, invoices (with phase and booker), the form's phase choices (read twice by
    # Django's select widget: once for its `required` attribute, once to render).
    with django_assert_num_queries(11):
        client.get(list_url(engagement))
    for i in range(1, 30):
        book(engagement, 100 + i, engagement.start_date + timedelta(days=i), f"Q-{i}")
    with django_assert_num_queries(11):
        client.get(list_url(engagement))
