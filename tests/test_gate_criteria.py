"""Gate criteria: the automatic checks, stale evidence, readiness and the recommendation (pure,
without the database). Seeding, the data migration and the editing workflows are in
test_gate_criteria_workflows.py."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

from engagements.criteria import (
    Readiness,
    gate_readiness,
    recommend,
)
from engagements.criteria_checks import CriterionResult, check_criterion
from engagements.enums import CriterionCheck, Outcome
from engagements.facts import Facts, Reading
from engagements.models import GateCriterion, Kpi, RiskSettings

TODAY = date(2026, 3, 31)
SETTINGS = RiskSettings.defaults()
GATE = SimpleNamespace(engagement_id=7, number=1, decision_list=[])


def _engagement(**fields):
    values = {"pk": 7, "data_readiness": None, "business_problem": "Too many tickets."}
    return SimpleNamespace(**(values | fields))


def _f1(target="0.85", higher_is_better=True, pk=1):
    return Kpi(
        pk=pk,
        kind="technical",
        name="F1",
        target=Decimal(target),
        higher_is_better=higher_is_better,
    )


def _facts(readings=(), kpis=None, **fields) -> Facts:
    facts = Facts(_engagement(**fields), TODAY)
    facts.technical_kpis = [_f1()] if kpis is None else kpis
    facts.readings = list(readings)
    return facts


def _reading(value, held_by="client", week=13, year=2026):
    return Reading(1, Decimal(value), held_by, year, week, report_id=40 + week)


def _criterion(met_by=CriterionCheck.EVIDENCE, kind="must", weight=1, **fields):
    return GateCriterion(
        title=f"{met_by} {kind}", kind=kind, weight=weight, met_by=met_by, **fields
    )


def _check(criterion, facts=None):
    return check_criterion(criterion, facts or _facts(), SETTINGS, TODAY)


# --- The technical KPI on the client's own data ------------------------------------------


def test_an_f1_under_target_on_client_data_fails_the_automatic_criterion():
    result = _check(_criterion(CriterionCheck.KPI_MET), _facts([_reading("0.81", week=12)]))
    assert (result.met, result.state) == (False, "unmet")
    assert (
        result.reason == "F1 0.81 on the client's hold-out set (2026-W12) is under the target 0.85."
    )
    assert result.link == "/engagements/7/weekly-reports/52/"


def test_the_same_f1_on_vendor_held_data_does_not_satisfy_it():
    facts = _facts([_reading("0.91", held_by="vendor")])
    result = _check(_criterion(CriterionCheck.KPI_MET), facts)
    assert not result.met and result.state == "missing"
    assert "F1 0.91 on vendor-held data (2026-W13) does not count" in result.reason


def test_vendor_held_data_counts_when_the_criterion_accepts_it():
    facts = _facts([_reading("0.91", held_by="vendor")])
    result = _check(_criterion(CriterionCheck.KPI_MET, accept_vendor_data=True), facts)
    assert result.met and result.reason.endswith("meets the target 0.85.")


def test_the_latest_client_evaluation_counts_not_a_later_vendor_one():
    facts = _facts([_reading("0.86", week=12), _reading("0.95", held_by="vendor", week=13)])
    assert _check(_criterion(CriterionCheck.KPI_MET), facts).met
    facts = _facts([_reading("0.90", week=11), _reading("0.80", week=12)])
    assert not _check(_criterion(CriterionCheck.KPI_MET), facts).met


def test_a_lower_is_better_kpi_is_met_at_or_under_its_target():
    latency = [_f1(target="200", higher_is_better=False)]
    assert _check(_criterion(CriterionCheck.KPI_MET), _facts([_reading("180")], kpis=latency)).met
    result = _check(_criterion(CriterionCheck.KPI_MET), _facts([_reading("250")], kpis=latency))
    assert "is above the target 200" in result.reason


def test_every_technical_kpi_must_be_met():
    kpis = [_f1(), _f1(pk=2)]
    readings = [_reading("0.9"), Reading(2, Decimal("0.5"), "client", 2026, 13, 99)]
    assert not _check(_criterion(CriterionCheck.KPI_MET), _facts(readings, kpis=kpis)).met


def test_an_evaluation_older_than_the_evidence_age_is_stale():
    # Week 8 of 2026 ended on Sunday 22 Feb: 37 days before TODAY.
    result = _check(_criterion(CriterionCheck.KPI_MET), _facts([_reading("0.9", week=8)]))
    assert result.state == "stale" and not result.met


def test_no_technical_kpi_or_no_evaluation_is_missing():
    assert _check(_criterion(CriterionCheck.KPI_MET), _facts(kpis=[])).state == "missing"
    assert _check(_criterion(CriterionCheck.KPI_MET), _facts()).state == "missing"


# --- Evidence and its age -----------------------------------------------------------------


def test_evidence_31_days_old_is_stale_and_30_days_is_not():
    fresh = _criterion(evidence_note="Baseline AUC 0.7", evidence_on=TODAY - timedelta(days=30))
    stale = _criterion(evidence_note="Baseline AUC 0.7", evidence_on=TODAY - timedelta(days=31))
    assert _check(fresh).state == "met"
    result = _check(stale)
    assert (result.met, result.state) == (False, "stale")
    assert "31 days old, older than 30 days: refresh it" in result.reason


def test_the_evidence_age_is_the_organisations_setting():
    criterion = _criterion(evidence_link="https://x.test", evidence_on=TODAY - timedelta(days=40))
    settings = RiskSettings(evidence_max_age_days=45)
    assert check_criterion(criterion, _facts(), settings, TODAY).met


def test_no_evidence_is_missing():
    assert _check(_criterion()).state == "missing"


# --- Data readiness, checklists, change requests, KPIs defined ----------------------------


def test_data_readiness_against_the_threshold():
    criterion = _criterion(CriterionCheck.DATA_READINESS)
    assert _check(criterion, _facts()).state == "missing"
    assert _check(criterion, _facts(data_readiness=59)).state == "unmet"
    assert _check(criterion, _facts(data_readiness=60)).met  # the organisation's 60
    criterion.threshold = 80
    assert "under the threshold 80%" in _check(criterion, _facts(data_readiness=70)).reason


def _item(key, status, checklist="knowledge_transfer"):
    return SimpleNamespace(key=key, status=status, checklist=checklist, title=key.title())


def test_named_checklist_items_done_or_not_applicable_meet_it():
    criterion = _criterion(CriterionCheck.CHECKLIST, checklist_keys=["kt_retrained", "kt_runbook"])
    facts = _facts()
    facts.checklist = [_item("kt_retrained", "done"), _item("kt_runbook", "not_applicable")]
    assert _check(criterion, facts).met
    facts.checklist[0] = _item("kt_retrained", "in_progress")
    result = _check(criterion, facts)
    assert not result.met and "“Kt_Retrained”" in result.reason
    assert result.link == "/engagements/7/handover/"
    facts.checklist = facts.checklist[1:]
    assert _check(criterion, facts).state == "missing"  # the item was removed


def test_a_whole_checklist_counts_its_custom_items_too():
    criterion = _criterion(CriterionCheck.CHECKLIST, checklist="mlops")
    facts = _facts()
    facts.checklist = [_item("mlops_a", "done", "mlops"), _item("", "open", "mlops")]
    assert not _check(criterion, facts).met
    facts.checklist[1] = _item("", "done", "mlops")
    assert _check(criterion, facts).met


def _change(days_open, status="proposed"):
    created = datetime(2026, 3, 31, 12) - timedelta(days=days_open)
    return SimpleNamespace(title="Spanish", status=status, created_at=created)


def test_an_open_change_request_older_than_the_limit_fails_it():
    criterion = _criterion(CriterionCheck.CHANGE_REQUESTS, kind="should")
    facts = _facts()
    facts.change_requests = [_change(14), _change(40, status="approved")]
    assert _check(criterion, facts).met
    facts.change_requests.append(_change(15))
    result = _check(criterion, facts)
    assert not result.met and "“Spanish” open 15 days" in result.reason


def test_kpis_defined_needs_the_problem_and_both_kinds_of_kpi():
    criterion = _criterion(CriterionCheck.KPIS_DEFINED)
    facts = _facts()
    assert "a business KPI" in _check(criterion, facts).reason
    facts.business_kpis = [Kpi(kind="business", name="Tickets", target=1)]
    assert _check(criterion, facts).met
    facts.engagement.business_problem = " "
    assert not _check(criterion, facts).met


# --- Readiness and the recommendation -----------------------------------------------------


def _result(kind="must", state="met", weight=1):
    return CriterionResult(_criterion(kind=kind, weight=weight), state == "met", state, "why")


def test_go_when_every_must_is_met_and_the_score_reaches_75():
    results = [_result(), _result("should", weight=3), _result("should", "unmet", 1)]
    outcome, reasons = recommend(results, recycled=False)
    assert outcome == Outcome.GO and "Should-meet score 75%" in reasons[-1]


def test_conditional_go_when_the_score_is_lower():
    results = [_result(), _result("should", "unmet", 2), _result("should", weight=1)]
    outcome, reasons = recommend(results, recycled=False)
    assert outcome == Outcome.CONDITIONAL_GO and "33% is under 75%" in reasons[-1]


def test_conditional_go_when_the_only_unmet_musts_are_stale():
    results = [_result(), _result(state="stale")]
    assert recommend(results, recycled=False)[0] == Outcome.CONDITIONAL_GO


def test_stale_musts_say_a_go_needs_refreshed_evidence_or_an_override():
    outcome, reasons = recommend([_result(), _result(state="stale")], recycled=False)
    said = " ".join(reasons)
    assert outcome == Outcome.CONDITIONAL_GO
    assert "needs either the evidence refreshed first or an override reason" in said


def test_recycle_when_a_must_is_unmet():
    results = [_result(), _result(state="stale"), _result(state="unmet")]
    outcome, reasons = recommend(results, recycled=False)
    assert outcome == Outcome.RECYCLE and reasons[0].startswith("2 of 3 must-meet criteria unmet")


def test_no_go_when_most_musts_are_unmet_after_a_recycle():
    results = [_result(), _result(state="unmet"), _result(state="missing")]
    assert recommend(results, recycled=True)[0] == Outcome.NO_GO
    assert recommend(results, recycled=False)[0] == Outcome.RECYCLE
    half = [_result(), _result(state="unmet")]
    assert recommend(half, recycled=True)[0] == Outcome.RECYCLE  # half is not more than half


def test_a_gate_without_criteria_recommends_hold():
    assert recommend([], recycled=False)[0] == Outcome.HOLD


def test_readiness_reports_musts_score_and_a_json_snapshot():
    criteria = [
        _criterion(evidence_note="x", evidence_on=TODAY),
        _criterion(CriterionCheck.DATA_READINESS),
        _criterion(kind="should", weight=2, evidence_note="y", evidence_on=TODAY),
    ]
    readiness = gate_readiness(GATE, criteria, _facts(), SETTINGS, TODAY, recycled=False)
    assert isinstance(readiness, Readiness)
    assert not readiness.must_met and readiness.must_count == (1, 2)
    assert readiness.should_score == 100
    assert [r.criterion for r in readiness.unmet_musts] == [criteria[1]]
    assert readiness.recommendation == Outcome.RECYCLE
    assert readiness.results[0].link == "/engagements/7/gates/1/criteria/#criterion-None"
    snapshot = json.loads(json.dumps(readiness.snapshot()))
    assert snapshot["recommendation_label"] == "Recycle" and snapshot["must_count"] == [1, 2]
    assert snapshot["criteria"][1]["state"] == "missing"


def test_a_recycle_in_the_gates_history_counts():
    gate = SimpleNamespace(
        engagement_id=7, number=1, decision_list=[SimpleNamespace(outcome="recycle")]
    )
    criteria = [_criterion(), _criterion(), _criterion(evidence_note="x", evidence_on=TODAY)]
    assert gate_readiness(gate, criteria, _facts(), SETTINGS, TODAY).recommendation == Outcome.NO_GO
