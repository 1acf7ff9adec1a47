"""The criterion form's finer points (QA findings on issue 8): checklist items grouped by their
list and only the chosen list's accepted, thresholds only where a check takes one and never
negative, a confirmation before removing a criterion, and stale-evidence reasons with units."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from engagements.criteria_checks import check_criterion, days
from engagements.enums import CriterionCheck, CriterionKind
from engagements.forms.criteria import CriterionForm
from engagements.models import GateCriterion

from .test_gate_criteria_views import _add, _criterion, _edit, _new, _page, _url

pytestmark = pytest.mark.django_db  # a ModelForm checks the table's constraints
ITEMS = [
    ("knowledge_transfer", "kt_runbook", "Runbook written and reviewed by our team"),
    ("knowledge_transfer", "kt_retrained", "Our team has retrained the model"),
    ("mlops", "mlops_data_drift", "Data-drift monitoring"),
]


def _form(**fields):
    data = {"title": "T", "kind": "must", "weight": "1", "met_by": "evidence"} | fields
    return CriterionForm(data, items=ITEMS)


def test_items_of_another_checklist_are_refused_by_title():
    form = _form(met_by="checklist", checklist="mlops", checklist_keys=["kt_runbook"])
    assert not form.is_valid()
    assert form.errors["checklist_keys"] == [
        "Not on the MLOps readiness checklist: “Runbook written and reviewed by our team”. "
        "Untick it, or choose its list."
    ]
    ok = _form(met_by="checklist", checklist="mlops", checklist_keys=["mlops_data_drift"])
    assert ok.is_valid(), ok.errors
    # Items alone (no list chosen) may come from any list, as before.
    assert _form(met_by="checklist", checklist_keys=["kt_runbook", "mlops_data_drift"]).is_valid()


def test_a_negative_threshold_is_refused_whatever_the_check():
    for met_by in ("evidence", "data_readiness", "change_requests"):
        form = _form(met_by=met_by, threshold="-5")
        assert not form.is_valid()
        assert form.errors["threshold"] == [
            "A threshold is not negative: enter 0 or more, or leave it empty."
        ]


def test_a_threshold_on_a_check_that_takes_none_is_cleared_and_said():
    form = _form(met_by="evidence", threshold="40")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["threshold"] is None
    assert form.dropped == [
        "The threshold 40 was dropped: only data-readiness and change-request checks take one."
    ]
    kept = _form(met_by="data_readiness", threshold="40")
    assert kept.is_valid() and kept.cleaned_data["threshold"] == 40 and kept.dropped == []


def test_the_page_says_so_when_a_threshold_is_dropped(client_for, owner, engagement):
    client = client_for(owner)
    response = client.post(_add(engagement), _new(threshold="7"), follow=True)
    page = response.content.decode()
    assert "Criterion “Security review passed” added." in page
    assert "The threshold 7 was dropped" in page
    assert GateCriterion.objects.get(title="Security review passed").threshold is None
    refused = client.post(_add(engagement), _new(title="Negative", threshold="-5"))
    assert refused.status_code == 422
    assert "A threshold is not negative" in refused.content.decode()
    assert not GateCriterion.objects.filter(title="Negative").exists()


def test_an_edit_naming_items_of_another_list_is_refused(client_for, owner, engagement):
    criterion = _criterion(engagement, "kt_runbook_documentation", 3)
    data = _edit(criterion, met_by="checklist", checklist="mlops")
    data["edit-checklist_keys"] = ["kt_runbook"]
    response = client_for(owner).post(_url("criterion_edit", criterion), data)
    assert response.status_code == 422
    assert "Not on the MLOps readiness checklist: “Runbook written" in response.content.decode()
    criterion.refresh_from_db()
    assert criterion.checklist == "knowledge_transfer"


def test_the_items_are_grouped_by_checklist_with_a_legend_and_labels(client_for, owner, engagement):
    page = client_for(owner).get(_page(engagement)).content.decode()
    for legend in ("Knowledge transfer", "IP and data", "MLOps readiness"):
        assert f'<fieldset class="checklist-group"><legend>{legend}</legend>' in page
    assert page.index("<legend>Knowledge transfer") < page.index("<legend>IP and data")
    assert (
        '<label for="id_new-checklist_keys_0_0"><input type="checkbox" '
        'name="new-checklist_keys" value="kt_our_repositories" id="id_new-checklist_keys_0_0">'
        " The vendor works in our repositories from day one</label>"
    ) in page


def test_removing_a_criterion_asks_first_naming_it(client_for, owner, engagement):
    page = client_for(owner).get(_page(engagement)).content.decode()
    criterion = _criterion(engagement, "baseline_model")
    assert f'hx-confirm="Remove the criterion “{criterion.title}” from gate 1?"' in page
    assert "onclick" not in page


def test_days_are_pluralised():
    assert (days(1), days(30), days(0)) == ("1 day", "30 days", "0 days")


def _evidence_result(age, limit):
    today = timezone.localdate()
    criterion = GateCriterion(
        title="Runbook",
        kind=CriterionKind.MUST,
        met_by=CriterionCheck.EVIDENCE,
        evidence_note="Reviewed.",
        evidence_on=today - timedelta(days=age),
    )
    settings = SimpleNamespace(evidence_max_age_days=limit)
    facts = SimpleNamespace(engagement=SimpleNamespace(pk=1))
    return check_criterion(criterion, facts, settings, today)


def test_stale_evidence_says_its_age_limit_with_the_unit():
    assert "is 2 days old, older than 1 day: refresh it." in _evidence_result(2, 1).reason
    assert "is 31 days old, older than 30 days: refresh it." in _evidence_result(31, 30).reason
    assert "(1 day old)" in _evidence_result(1, 30).reason
