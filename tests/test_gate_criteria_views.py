"""The gate criteria page: readiness and recommendation, adding and editing criteria with bad
input refused, evidence given and refreshed, decided gates read-only, htmx, who may do what,
and a constant query count; and data readiness on the engagement form."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from engagements.models import Engagement, GateCriterion, Outcome

from .conftest import decide
from .test_engagement_views import create_payload

HTMX = {"HX-Request": "true"}


def _page(engagement, number=1):
    return reverse("engagements:gate_criteria", args=[engagement.pk, number])


def _url(name, criterion):
    return reverse(
        f"engagements:{name}", args=[criterion.engagement_id, criterion.gate.number, criterion.pk]
    )


def _add(engagement, number=1):
    return reverse("engagements:criterion_add", args=[engagement.pk, number])


def _new(**fields):
    data = {"title": "Security review passed", "kind": "must", "weight": "1", "met_by": "evidence"}
    return {f"new-{name}": value for name, value in (data | fields).items()}


def _edit(criterion, **fields):
    data = {
        "title": criterion.title,
        "kind": criterion.kind,
        "weight": str(criterion.weight),
        "met_by": criterion.met_by,
        "checklist": criterion.checklist,
    }
    return {f"edit-{name}": value for name, value in (data | fields).items()}


def _criterion(engagement, key, number=1):
    return GateCriterion.objects.get(gate__engagement=engagement, gate__number=number, key=key)


def test_the_page_shows_each_criterion_its_state_and_the_recommendation(
    client_for, owner, engagement
):
    page = client_for(owner).get(_page(engagement)).content.decode()
    assert "Gate 1: criteria and evidence" in page
    assert "Recommendation:" in page and "Recycle" in page
    assert "The technical KPI met on the client&#x27;s own hold-out data" in page
    assert "Data readiness has not been assessed" in page
    assert "Should-meet score: 0%" in page
    assert "No technical KPI is defined." in page and "See the data" in page
    assert "Add a criterion" in page


def test_the_engagement_page_links_each_gate_to_its_criteria(client_for, owner, board, engagement):
    for user in (owner, board):
        page = client_for(user).get(reverse("engagements:detail", args=[engagement.pk]))
        assert _page(engagement, 3) in page.content.decode()


def test_a_board_member_reads_but_cannot_edit(client_for, board, engagement):
    client = client_for(board)
    page = client.get(_page(engagement)).content.decode()
    assert "Recommendation:" in page and "Add a criterion" not in page and "Remove" not in page
    assert client.post(_add(engagement), _new()).status_code == 403


def test_a_vendor_contact_gets_403_or_404_on_every_criteria_url(
    client_for, assigned_vendor, engagement
):
    client = client_for(assigned_vendor)
    criterion = _criterion(engagement, "baseline_model")
    assert client.get(_page(engagement)).status_code == 403
    assert client.post(_add(engagement), _new()).status_code == 403
    for name in ("criterion_edit", "criterion_evidence", "criterion_delete"):
        assert client.post(_url(name, criterion)).status_code == 403
    detail = client.get(reverse("engagements:detail", args=[engagement.pk])).content.decode()
    assert "Criteria and evidence" not in detail


def test_owner_adds_a_criterion(client_for, owner, engagement):
    response = client_for(owner).post(_add(engagement), _new(kind="should", weight="3"))
    assert response.status_code == 302
    added = GateCriterion.objects.get(gate__engagement=engagement, title="Security review passed")
    assert (added.kind, added.weight, added.gate.number, added.key) == ("should", 3, 1, "")


@pytest.mark.parametrize("weight", ["0", "-1", "11", "", "two"])
def test_a_weight_outside_1_to_10_is_refused_with_a_message(client_for, owner, engagement, weight):
    response = client_for(owner).post(_add(engagement), _new(weight=weight))
    assert response.status_code == 422
    assert "A weight is a whole number from 1 to 10" in response.content.decode()
    assert not GateCriterion.objects.filter(title="Security review passed").exists()


def test_checklist_keys_that_do_not_exist_are_refused(client_for, owner, engagement):
    data = _new(met_by="checklist", checklist="knowledge_transfer")
    data["new-checklist_keys"] = ["kt_runbook", "kt_made_up"]
    response = client_for(owner).post(_add(engagement), data)
    assert response.status_code == 422
    assert "“kt_made_up” is not an item of this engagement&#x27;s checklists." in (
        response.content.decode()
    )
    data["new-checklist_keys"] = ["kt_runbook"]
    assert client_for(owner).post(_add(engagement), data).status_code == 302
    added = GateCriterion.objects.get(title="Security review passed")
    assert added.checklist_keys == ["kt_runbook"]


def test_a_checklist_criterion_needs_a_list_or_items(client_for, owner, engagement):
    response = client_for(owner).post(_add(engagement), _new(met_by="checklist"))
    assert response.status_code == 422 and "Choose the checklist" in response.content.decode()


def test_a_threshold_out_of_range_is_refused(client_for, owner, engagement):
    response = client_for(owner).post(
        _add(engagement), _new(met_by="data_readiness", threshold="120")
    )
    assert response.status_code == 422 and "0–100" in response.content.decode()


def test_the_last_must_meet_cannot_go(client_for, owner, engagement):
    client = client_for(owner)
    musts = list(
        GateCriterion.objects.filter(gate__engagement=engagement, gate__number=1, kind="must")
    )
    for criterion in musts[:-1]:
        assert client.post(_url("criterion_delete", criterion)).status_code == 302
    last = musts[-1]
    refused = client.post(_url("criterion_delete", last))
    assert refused.status_code == 422
    assert "A gate needs at least one must-meet criterion" in refused.content.decode()
    demoted = client.post(_url("criterion_edit", last), _edit(last, kind="should"))
    assert demoted.status_code == 422
    assert "A gate needs at least one must-meet criterion" in demoted.content.decode()
    assert GateCriterion.objects.get(pk=last.pk).kind == "must"


def test_owner_edits_a_criterion(client_for, owner, engagement):
    criterion = _criterion(engagement, "kpi_client_holdout")
    data = _edit(criterion, accept_vendor_data="on", title="F1 on real tickets")
    assert client_for(owner).post(_url("criterion_edit", criterion), data).status_code == 302
    criterion.refresh_from_db()
    assert criterion.accept_vendor_data and criterion.title == "F1 on real tickets"


def test_hostile_text_is_escaped(client_for, owner, engagement):
    client = client_for(owner)
    client.post(_add(engagement), _new(title="<script>alert(1)</script>"))
    page = client.get(_page(engagement)).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_evidence_is_given_dated_today_and_refreshed(
    client_for, owner, engagement, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(owner)
    baseline = _criterion(engagement, "baseline_model")
    url = _url("criterion_evidence", baseline)
    assert client.get(url).status_code == 200
    empty = client.post(url, {"evidence-evidence_note": ""})
    assert empty.status_code == 422 and "Give the evidence" in empty.content.decode()
    document = SimpleUploadedFile("auc.pdf", b"%PDF-1.7 baseline", content_type="application/pdf")
    response = client.post(
        url, {"evidence-evidence_note": "AUC 0.71", "evidence-evidence_document": document}
    )
    assert response.status_code == 302
    baseline.refresh_from_db()
    assert baseline.evidence_on == timezone.localdate() and baseline.evidence_by == owner
    assert baseline.evidence_document.name.endswith("auc.pdf")
    GateCriterion.objects.filter(pk=baseline.pk).update(evidence_on="2026-01-02")
    page = client.get(_page(engagement)).content.decode()
    assert "Stale" in page and "refresh it" in page
    assert client.post(url, {"refresh": "1"}).status_code == 302
    baseline.refresh_from_db()
    assert baseline.evidence_on == timezone.localdate() and baseline.evidence_note == "AUC 0.71"


def test_an_automatic_criterion_takes_no_evidence(client_for, owner, engagement):
    automatic = _criterion(engagement, "data_readiness")
    response = client_for(owner).post(
        _url("criterion_evidence", automatic), {"evidence-evidence_note": "Trust me"}
    )
    assert response.status_code == 422 and "checked automatically" in response.content.decode()


def test_a_decided_gate_is_read_only_and_a_stale_tab_is_told(client_for, owner, engagement):
    client = client_for(owner)
    criterion = _criterion(engagement, "baseline_model")
    decide(engagement, 1, Outcome.GO, owner)
    page = client.get(_page(engagement)).content.decode()
    assert "Its criteria are read-only" in page and "Add a criterion" not in page
    response = client.post(_url("criterion_edit", criterion), _edit(criterion, title="Later"))
    assert response.status_code == 409 and "Gate 1 was decided: Go" in response.content.decode()
    assert client.post(_add(engagement), _new()).status_code == 409
    criterion.refresh_from_db()
    assert criterion.title == "A baseline model built"


def test_htmx_edits_in_place(client_for, owner, engagement):
    client = client_for(owner)
    criterion = _criterion(engagement, "baseline_model")
    row = client.get(_url("criterion_edit", criterion), headers=HTMX).content.decode()
    assert row.lstrip().startswith(f'<li id="criterion-{criterion.pk}"') and "<form" in row
    bad = client.post(_url("criterion_edit", criterion), _edit(criterion, weight="0"), headers=HTMX)
    assert bad.status_code == 200 and "A weight is a whole number" in bad.content.decode()
    assert "<html" not in bad.content.decode()
    good = client.post(
        _url("criterion_edit", criterion), _edit(criterion, weight="4"), headers=HTMX
    )
    assert good.status_code == 200 and "Recommendation:" in good.content.decode()
    assert "saved" in good.content.decode()  # the message rides along
    criterion.refresh_from_db()
    assert criterion.weight == 4


def test_the_page_runs_a_constant_number_of_queries(client_for, owner, engagement):
    client = client_for(owner)
    client.get(_page(engagement))  # warm the session and caches

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_page(engagement)).status_code == 200
        return len(queries)

    few = count()
    gate = engagement.gates.get(number=1)
    GateCriterion.objects.bulk_create(
        GateCriterion(
            engagement=engagement,
            gate=gate,
            title=f"Extra {n}",
            kind="should",
            evidence_note="x",
            evidence_on="2026-03-01",
            evidence_by=owner,
        )
        for n in range(12)
    )
    assert count() == few


# --- Data readiness on the engagement --------------------------------------------------


def test_data_readiness_is_set_on_the_engagement_form_and_shown(client_for, owner, org):
    client = client_for(owner)
    refused = client.post(reverse("engagements:create"), create_payload(data_readiness="101"))
    assert refused.status_code == 422
    assert "Data readiness is a percentage: 0–100." in refused.content.decode()
    assert (
        client.post(reverse("engagements:create"), create_payload(data_readiness="72")).status_code
        == 302
    )
    engagement = Engagement.objects.get(organisation=org)
    assert engagement.data_readiness == 72
    page = client.get(reverse("engagements:detail", args=[engagement.pk])).content.decode()
    assert "Data readiness: 72%" in page
    criteria = client.get(_page(engagement)).content.decode()
    assert "Data readiness 72% meets the threshold 60%." in criteria


def test_the_api_gives_a_gates_readiness(client_for, owner, assigned_vendor, engagement):
    url = f"/api/engagements/{engagement.pk}/gates/1/readiness"
    body = client_for(owner).get(url).json()
    assert body["gate"] == 1 and body["recommendation"] == "recycle"
    assert body["must_count"] == [0, 3] and body["should_score"] == 0
    assert body["criteria"][1]["state"] == "missing"
    assert (
        client_for(owner).get(f"/api/engagements/{engagement.pk}/gates/4/readiness").status_code
        == 422
    )
    assert client_for(assigned_vendor).get(url).status_code == 403
