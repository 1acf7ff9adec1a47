"""Gate criteria: the automatic checks, stale evidence, readiness and the recommendation (pure,
without the database), then seeding, the data migration and the editing workflows."""

from __future__ import annotations

import importlib
import json
import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from engagements.criteria import (
    GUIDE_CRITERIA,
    Readiness,
    gate_readiness,
    readiness_for,
    recommend,
)
from engagements.criteria_actions import (
    NO_MUST,
    CriterionError,
    delete_criterion,
    give_evidence,
    save_criterion,
)
from engagements.criteria_checks import CriterionResult, check_criterion
from engagements.enums import CriterionCheck, Outcome
from engagements.facts import Facts, Reading
from engagements.models import GateCriterion, Kpi, RiskSettings

from .conftest import decide, make_engagement

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
    assert "31 days old, older than 30: refresh it" in result.reason


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


# --- Seeding and the data migration -------------------------------------------------------


def test_a_new_engagement_gets_the_guides_criteria_in_the_audit_trail(engagement):
    for number, guide in GUIDE_CRITERIA.items():
        gate = engagement.gates.get(number=number)
        assert list(gate.criteria.values_list("key", flat=True)) == [g.key for g in guide]
    assert GateCriterion.history.filter(engagement=engagement, history_type="+").count() == 15
    kt = engagement.gates.get(number=3).criteria.get(key="kt_retrained_debugged")
    assert kt.checklist_keys == ["kt_retrained", "kt_debugged_incident"] and kt.is_must


def test_the_data_migration_seeds_gates_without_criteria(org, owner):
    older = make_engagement(org, owner, title="Older")
    seeded = make_engagement(org, owner, title="Seeded")
    GateCriterion.objects.filter(engagement=older).delete()
    GateCriterion.history.filter(engagement=older).delete()
    seeded.gate_criteria.filter(key="baseline_model").delete()  # an owner removed one
    migration = importlib.import_module("engagements.migrations.0010_seed_gate_criteria")
    migration.seed(apps, None)
    assert older.gate_criteria.count() == 15
    history = GateCriterion.history.filter(engagement=older, history_type="+")
    assert history.count() == 15 and history.first().history_organisation_id == org.pk
    assert seeded.gate_criteria.count() == 14  # its gates had criteria: left as they are


def test_the_migration_froze_the_guides_criteria_as_they_are():
    migration = importlib.import_module("engagements.migrations.0010_seed_gate_criteria")
    assert {
        number: tuple(
            (g.key, g.title, g.kind, g.met_by, g.weight, g.checklist, g.checklist_keys)
            for g in guide
        )
        for number, guide in GUIDE_CRITERIA.items()
    } == migration.GUIDE_CRITERIA


def test_readiness_of_a_new_engagements_first_gate(engagement, django_assert_max_num_queries):
    gate = engagement.gates.get(number=1)
    with django_assert_max_num_queries(16):
        readiness = readiness_for(gate, TODAY)
    states = {r.criterion.key: r.state for r in readiness.results}
    assert states == {
        "problem_kpis_defined": "unmet",  # no technical KPI yet
        "data_readiness": "missing",
        "baseline_model": "missing",
        "kpi_client_holdout": "missing",
    }
    assert readiness.recommendation == Outcome.RECYCLE


# --- Editing workflows --------------------------------------------------------------------


def _values(criterion, **changes):
    fields = ["title", "kind", "weight", "met_by", "threshold", "checklist", "checklist_keys"]
    return {name: getattr(criterion, name) for name in fields} | changes


def test_the_last_must_meet_can_be_neither_removed_nor_demoted(engagement):
    gate = engagement.gates.get(number=1)
    musts = list(gate.criteria.filter(kind="must"))
    for criterion in musts[:-1]:
        delete_criterion(gate, criterion.pk)
    last = musts[-1]
    with pytest.raises(CriterionError, match=NO_MUST):
        delete_criterion(gate, last.pk)
    with pytest.raises(CriterionError, match=NO_MUST) as refused:
        save_criterion(gate, _values(last, kind="should"), criterion_id=last.pk)
    assert refused.value.field == "kind"
    last.refresh_from_db()
    assert last.kind == "must"


def test_criteria_of_a_decided_gate_are_read_only(engagement, owner):
    decide(engagement, 1, Outcome.GO, owner)
    gate = engagement.gates.get(number=1)
    criterion = gate.criteria.first()
    with pytest.raises(CriterionError, match="Gate 1 was decided: Go on 2 Mar 2026") as refused:
        save_criterion(gate, _values(criterion, title="Changed"), criterion_id=criterion.pk)
    assert refused.value.conflict
    with pytest.raises(CriterionError, match="read-only"):
        give_evidence(gate, criterion.pk, by=owner, today=TODAY, note="x")


def test_evidence_is_dated_today_and_refreshing_re_dates_it(engagement, owner):
    gate = engagement.gates.get(number=1)
    baseline = gate.criteria.get(key="baseline_model")
    give_evidence(gate, baseline.pk, by=owner, today=date(2026, 2, 1), note="AUC 0.71")
    give_evidence(gate, baseline.pk, by=owner, today=TODAY)  # a refresh
    baseline.refresh_from_db()
    assert (baseline.evidence_note, baseline.evidence_on, baseline.evidence_by) == (
        "AUC 0.71",
        TODAY,
        owner,
    )
    automatic = gate.criteria.get(key="data_readiness")
    with pytest.raises(CriterionError, match="checked automatically"):
        give_evidence(gate, automatic.pk, by=owner, today=TODAY, note="trust me")
    with pytest.raises(CriterionError, match="Give the evidence"):
        give_evidence(gate, baseline.pk, by=owner, today=TODAY, note="", link="")


@pytest.mark.django_db(transaction=True)
def test_two_owners_removing_the_last_two_musts_leave_one(org, owner):
    engagement = make_engagement(org, owner)
    gate = engagement.gates.get(number=1)
    musts = list(gate.criteria.filter(kind="must"))
    delete_criterion(gate, musts[0].pk)
    barrier = threading.Barrier(2)
    results = []

    def attempt(criterion):
        try:
            barrier.wait()
            delete_criterion(gate, criterion.pk)
            results.append("ok")
        except CriterionError as exc:
            results.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(c,)) for c in musts[1:]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(r == "ok" for r in results) == [False, True]
    assert gate.criteria.filter(kind="must").count() == 1


# --- Demo data ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_shows_criteria_with_stale_evidence_and_a_kpi_under_target(settings):
    from io import StringIO

    from django.core.management import call_command

    from engagements.models import Engagement, Gate

    settings.DEBUG = True  # seed_demo's default password is for development
    call_command("seed_demo", stdout=StringIO())
    engagements = Engagement.objects.all()
    assert engagements.filter(data_readiness__isnull=False).exists()
    assert engagements.filter(data_readiness__isnull=True).exists()  # not assessed yet
    gates = Gate.objects.filter(engagement__in=engagements)
    assert not gates.filter(criteria__isnull=True).exists()
    states = []
    for engagement in engagements:
        gate = engagement.next_gate
        if gate is not None:
            states += [
                (r.criterion.met_by, r.state, r.reason)
                for r in readiness_for(gate, date.today()).results
            ]
    assert any(state == "stale" for met_by, state, _ in states if met_by == "evidence")
    assert any(
        state == "unmet" and "client's hold-out set" in reason
        for met_by, state, reason in states
        if met_by == "kpi_met"
    )
    assert call_command("seed_demo", stdout=StringIO()) is None  # again: adds nothing
    assert not gates.filter(criteria__isnull=True).exists()
