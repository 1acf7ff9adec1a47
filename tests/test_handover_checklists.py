"""Handover checklists: seeded from the guide for new and existing engagements, progress per
list (what gate 3 will read), editing per engagement, vendor contacts' reach, bad input."""

from __future__ import annotations

import importlib
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from engagements.models import ChecklistItem
from engagements.models.checklists import GUIDE_ITEMS, checklist_progress

from .conftest import make_engagement
from .test_engagement_views import HOSTILE


def _page(engagement):
    return reverse("engagements:handover", args=[engagement.pk])


def _item_url(item):
    return reverse("engagements:checklist_item", args=[item.engagement_id, item.pk])


def _item(engagement, key):
    return engagement.checklist_items.get(key=key)


def test_a_new_engagement_starts_with_the_guides_items(engagement):
    """R12, R20, R21, R28: the guide's knowledge-transfer, IP/data and MLOps items."""
    items = list(engagement.checklist_items.all())
    assert len(items) == len(GUIDE_ITEMS) == 20
    titles = {item.title for item in items}
    assert "Pair programming with our engineers in the final weeks" in titles
    assert "Data-handling agreement: deletion timeline after the engagement" in titles
    assert "Concept-drift monitoring" in titles and "Retraining pipeline" in titles
    assert checklist_progress(items) == {
        "knowledge_transfer": (0, 7),
        "ip_data": (0, 7),
        "mlops": (0, 6),
    }
    assert ChecklistItem.history.filter(engagement=engagement).count() == 20  # audited


def test_the_data_migration_seeds_engagements_created_before_the_checklists(org, owner):
    older = make_engagement(org, owner, title="Older")
    seeded = make_engagement(org, owner, title="Already seeded")
    older.checklist_items.all().delete()
    ChecklistItem.history.filter(engagement=older).delete()
    custom = ChecklistItem.objects.create(engagement=seeded, checklist="mlops", title="Custom")
    migration = importlib.import_module("engagements.migrations.0006_seed_handover_checklists")
    migration.seed(apps, None)
    assert older.checklist_items.count() == 20
    assert ChecklistItem.history.filter(engagement=older, history_type="+").count() == 20
    assert ChecklistItem.history.filter(engagement=older).first().history_organisation_id == org.pk
    assert seeded.checklist_items.count() == 21 and custom in seeded.checklist_items.all()


def test_progress_counts_done_and_leaves_out_not_applicable():
    items = [
        SimpleNamespace(checklist="mlops", status=status)
        for status in ("done", "done", "open", "in_progress", "not_applicable")
    ] + [SimpleNamespace(checklist="ip_data", status="not_applicable")]
    assert checklist_progress(items) == {
        "knowledge_transfer": (0, 0),
        "ip_data": (0, 0),
        "mlops": (2, 4),
    }


def test_the_grouped_query_agrees_with_the_function(engagement):
    for key, status in [("mlops_data_drift", "done"), ("kt_runbook", "not_applicable")]:
        item = _item(engagement, key)
        item.status, item.done_on = status, date(2026, 2, 1) if status == "done" else None
        item.save()
    items = ChecklistItem.objects.filter(engagement=engagement)
    assert (
        items.progress()
        == checklist_progress(items)
        == {
            "knowledge_transfer": (0, 6),
            "ip_data": (0, 7),
            "mlops": (1, 6),
        }
    )


def test_the_page_shows_three_lists_with_progress(client_for, owner, engagement):
    item = _item(engagement, "mlops_experiment_tracking")
    item.status, item.done_on = "done", date(2026, 2, 2)
    item.save()
    page = client_for(owner).get(_page(engagement)).content.decode()
    for heading in ("Knowledge transfer", "IP and data", "MLOps readiness"):
        assert heading in page
    assert "1 of 6 done" in page and "0 of 7 done" in page
    detail = client_for(owner).get(reverse("engagements:detail", args=[engagement.pk]))
    assert "MLOps readiness: <strong>1 of 6</strong> done" in detail.content.decode()


def test_owner_adds_renames_and_removes_a_custom_item(client_for, owner, engagement):
    client = client_for(owner)
    response = client.post(_page(engagement), {"checklist": "mlops", "title": "Shadow deployment"})
    assert response.status_code == 302
    item = engagement.checklist_items.get(title="Shadow deployment")
    assert item.key == "" and item.position == len(GUIDE_ITEMS)
    data = {"title": "Shadow deployment for two weeks", "status": "in_progress", "owner": ""}
    assert client.post(_item_url(item), data).status_code == 302
    item.refresh_from_db()
    assert item.title == "Shadow deployment for two weeks" and item.status == "in_progress"
    delete = reverse("engagements:checklist_item_delete", args=[engagement.pk, item.pk])
    assert client.post(delete).status_code == 302
    assert not engagement.checklist_items.filter(pk=item.pk).exists()


def test_a_guide_item_keeps_its_key_when_renamed(client_for, owner, engagement):
    item = _item(engagement, "kt_runbook")
    client_for(owner).post(_item_url(item), {"title": "On-call runbook", "status": "open"})
    assert engagement.checklist_items.get(key="kt_runbook").title == "On-call runbook"


def test_done_gets_todays_date_and_reopening_clears_it(client_for, owner, engagement):
    item = _item(engagement, "kt_runbook")
    client = client_for(owner)
    client.post(_item_url(item), {"title": item.title, "status": "done"})
    item.refresh_from_db()
    assert item.done_on == timezone.localdate()
    client.post(_item_url(item), {"title": item.title, "status": "open", "done_on": "2026-02-01"})
    item.refresh_from_db()
    assert item.status == "open" and item.done_on is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"done_on": "2025-12-01"}, "Enter a date within the engagement"),
        ({"done_on": (date.today() + timedelta(days=2)).isoformat()}, "That is in the future"),
        ({"title": "x" * 20_000}, "at most 300 characters"),
        ({"title": ""}, "Give the item a title."),
        ({"evidence_note": "x" * 20_000}, "at most 5000 characters"),
        ({"status": "finished"}, "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_and_nothing_written(
    client_for, owner, engagement, overrides, message
):
    item = _item(engagement, "kt_runbook")
    data = {"title": item.title, "status": "done", "done_on": "2026-02-02"} | overrides
    response = client_for(owner).post(_item_url(item), data)
    assert response.status_code == 422 and message in response.content.decode()
    item.refresh_from_db()
    assert item.status == "open" and item.title == "Runbook written and reviewed by our team"


def test_a_disguised_upload_is_refused(client_for, owner, engagement, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    item = _item(engagement, "kt_runbook")
    upload = SimpleUploadedFile("runbook.pdf", b"\x7fELF not a pdf")
    data = {"title": item.title, "status": "open", "evidence_document": upload}
    response = client_for(owner).post(_item_url(item), data)
    assert response.status_code == 422 and "is not a PDF file" in response.content.decode()
    assert not list(tmp_path.rglob("*.pdf"))


def test_hostile_titles_are_escaped(client_for, owner, engagement):
    ChecklistItem.objects.create(engagement=engagement, checklist="mlops", title=HOSTILE)
    page = client_for(owner).get(_page(engagement)).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


# --- Vendor contacts -------------------------------------------------------------------------


def test_a_vendor_contact_marks_knowledge_transfer_and_mlops_progress(
    client_for, assigned_vendor, engagement
):
    item = _item(engagement, "mlops_model_versioning")
    data = {"status": "done", "done_on": "2026-02-10", "title": "Renamed", "evidence_note": "DVC"}
    response = client_for(assigned_vendor).post(_item_url(item), data)
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.status, item.done_on, item.evidence_note) == ("done", date(2026, 2, 10), "DVC")
    assert item.title == "Model versioning"  # the title is not theirs to change


def test_a_vendor_contact_may_not_confirm_ip_items_nor_edit_the_lists(
    client_for, assigned_vendor, engagement
):
    client = client_for(assigned_vendor)
    item = _item(engagement, "ip_trained_models")
    response = client.post(_item_url(item), {"status": "done"})
    assert response.status_code == 403
    assert "confirmed by the client" in response.content.decode()
    item.refresh_from_db()
    assert item.status == "open"
    assert client.post(_page(engagement), {"checklist": "mlops", "title": "X"}).status_code == 403
    delete = reverse("engagements:checklist_item_delete", args=[engagement.pk, item.pk])
    assert client.post(delete).status_code == 403
    page = client.get(_page(engagement)).content.decode()
    assert "Trained models assigned to us" in page and "Add an item" not in page


@pytest.mark.parametrize(
    "key", ["kt_runbook", "kt_retrained", "kt_debugged_incident", "kt_supervised_period"]
)
def test_what_our_team_does_is_confirmed_by_the_client_not_the_vendor(
    client_for, assigned_vendor, engagement, key
):
    """ "Our team has retrained the model without the vendor" is the client's evidence: a
    vendor contact cannot mark it, as with IP items, and sees no Update button for it."""
    item = _item(engagement, key)
    assert item.client_confirms
    client = client_for(assigned_vendor)
    response = client.post(_item_url(item), {"status": "done"})
    assert response.status_code == 403
    assert "is confirmed by the client" in response.content.decode()
    item.refresh_from_db()
    assert item.status == "open"
    page = client.get(_page(engagement)).content.decode()
    assert _item_url(item) not in page
    assert _item_url(_item(engagement, "kt_our_repositories")) in page  # the vendor's own


def test_owners_choose_who_confirms_a_custom_item_and_ip_items_are_always_the_clients(
    client_for, owner, assigned_vendor, engagement
):
    client = client_for(owner)
    page = _page(engagement)
    client.post(page, {"checklist": "knowledge_transfer", "title": "Ours", "client_confirms": "on"})
    client.post(page, {"checklist": "knowledge_transfer", "title": "Theirs"})
    client.post(page, {"checklist": "ip_data", "title": "Licence of the embeddings"})
    titles = ("Ours", "Theirs", "Licence of the embeddings")
    ours, theirs, ip = (ChecklistItem.objects.get(title=title) for title in titles)
    assert (ours.client_confirms, theirs.client_confirms, ip.client_confirms) == (True, False, True)
    # The owner hands a guide item to the vendor; an IP item cannot be handed over.
    runbook = _item(engagement, "kt_runbook")
    for item in (runbook, ip):
        data = {"title": item.title, "status": "open"}  # "confirmed by our team" unticked
        assert client.post(_item_url(item), data).status_code == 302
    runbook.refresh_from_db()
    ip.refresh_from_db()
    assert not runbook.client_confirms and ip.client_confirms
    vendor = client_for(assigned_vendor)
    assert vendor.post(_item_url(ours), {"status": "done"}).status_code == 403
    assert vendor.post(_item_url(ip), {"status": "done"}).status_code == 403
    assert vendor.post(_item_url(theirs), {"status": "in_progress"}).status_code == 302
    assert vendor.post(_item_url(runbook), {"status": "in_progress"}).status_code == 302


def test_the_migration_marks_existing_items_the_client_confirms(engagement):
    engagement.checklist_items.exclude(checklist="ip_data").update(client_confirms=False)
    migration = importlib.import_module("engagements.migrations.0008_checklist_client_confirms")
    migration.mark(apps, None)
    confirmed = set(
        engagement.checklist_items.filter(client_confirms=True).values_list("key", flat=True)
    )
    expected = {key for checklist, key, _ in GUIDE_ITEMS if checklist == "ip_data"}
    expected |= {"kt_runbook", "kt_retrained", "kt_debugged_incident", "kt_supervised_period"}
    assert confirmed == expected


def test_a_vendor_contact_reaches_only_assigned_engagements(
    client_for, org, owner, assigned_vendor
):
    other = make_engagement(org, owner, title="Not theirs")
    client = client_for(assigned_vendor)
    assert client.get(_page(other)).status_code == 404
    item = _item(other, "kt_runbook")
    assert client.post(_item_url(item), {"status": "done"}).status_code == 404


def _from_page(url):
    """The headers htmx sends from the page at `url`."""
    return {"HX-Request": "true", "HX-Current-URL": f"http://testserver{url}"}


def test_htmx_update_swaps_the_item_back(client_for, owner, engagement):
    item = _item(engagement, "kt_runbook")
    client = client_for(owner)
    inline = _from_page(_page(engagement))
    form = client.get(_item_url(item), headers=inline).content.decode()
    assert f'<li id="item-{item.pk}"' in form and "<html" not in form and "hx-post" in form
    row = client.post(
        _item_url(item), {"title": item.title, "status": "in_progress"}, headers=inline
    ).content.decode()
    assert f'<li id="item-{item.pk}"' in row and "In progress" in row and "<form method" in row
    assert 'id="progress-knowledge_transfer" class="progress" hx-swap-oob="true"' in row


def test_saving_on_the_items_own_page_returns_to_the_handover_page(client_for, owner, engagement):
    """No dead end, and no out-of-band progress swap aimed at a page without the progress bar
    (htmx:oobErrorNoTarget): the own page posts a plain form and lands on the handover page;
    an htmx post from anywhere but the handover page is redirected there."""
    item = _item(engagement, "kt_runbook")
    client = client_for(owner)
    page = client.get(_item_url(item)).content.decode()
    assert "<html" in page and "hx-post" not in page
    response = client.post(_item_url(item), {"title": item.title, "status": "in_progress"})
    assert response.status_code == 302 and response.url == _page(engagement)
    assert f"“{item.title}” saved." in client.get(response.url).content.decode()
    stale = client.post(
        _item_url(item),
        {"title": item.title, "status": "open"},
        headers=_from_page(_item_url(item)),
    )
    assert stale.status_code == 200 and stale["HX-Redirect"] == _page(engagement)
    assert "hx-swap-oob" not in stale.content.decode()


@pytest.mark.parametrize("extra", [0, 30])
def test_the_page_runs_the_same_queries_whatever_the_items(
    client_for, owner, engagement, extra, django_assert_num_queries
):
    ChecklistItem.objects.bulk_create(
        ChecklistItem(engagement=engagement, checklist="mlops", title=f"Extra {i}", owner=owner)
        for i in range(extra)
    )
    client = client_for(owner)
    # session, user, memberships, engagement, phases, items (with owners)
    with django_assert_num_queries(6):
        response = client.get(_page(engagement))
    assert response.content.decode().count('class="checklist-item"') == 20 + extra
