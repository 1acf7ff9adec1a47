"""Gate criteria in the database: seeding from the guide, the data migration, the editing
workflows (under the gate's lock) and the demo. The pure checks and the recommendation are in
test_gate_criteria.py."""

from __future__ import annotations

import importlib
import threading
from datetime import date

import pytest
from django.apps import apps
from django.db import connection

from engagements.criteria import (
    GUIDE_CRITERIA,
    readiness_for,
)
from engagements.criteria_actions import (
    NO_MUST,
    CriterionError,
    delete_criterion,
    give_evidence,
    save_criterion,
)
from engagements.enums import Outcome
from engagements.models import GateCriterion

from .conftest import decide, make_engagement

TODAY = date(2026, 3, 31)


# --- Seeding and the data migration -------------------------------------------------------


def test_a_new_engagement_gets_the_guides_criteria_in_the_audit_trail(engagement):
    for number, guide in GUIDE_CRITERIA.items():
        gate = engagement.gates.get(number=number)
        assert list(gate.criteria.values_list("key", flat=True)) == [g.key for g in guide]
    assert GateCriterion.history.filter(engagement=engagement, history_type="+").count() == 16
    kt = engagement.gates.get(number=3).criteria.get(key="kt_retrained_debugged")
    assert kt.checklist_keys == ["kt_retrained", "kt_debugged_incident"] and kt.is_must


def test_r28_drift_monitoring_and_retraining_feed_gate_3(engagement):
    """R28: the MLOps readiness items for drift and retraining are a gate 3 must-meet."""
    gate = engagement.gates.get(number=3)

    def drift_result():
        readiness = readiness_for(gate, TODAY)
        return next(
            r for r in readiness.results if r.criterion.key == "drift_retraining_handed_over"
        )

    assert not drift_result().met and drift_result().criterion.is_must
    items = engagement.checklist_items.filter(
        key__in=["mlops_data_drift", "mlops_concept_drift", "mlops_retraining_pipeline"]
    )
    items.update(status="done", done_on=TODAY)
    assert drift_result().met


def test_the_data_migration_seeds_gates_without_criteria(org, owner):
    older = make_engagement(org, owner, title="Older")
    seeded = make_engagement(org, owner, title="Seeded")
    GateCriterion.objects.filter(engagement=older).delete()
    GateCriterion.history.filter(engagement=older).delete()
    seeded.gate_criteria.filter(key="baseline_model").delete()  # an owner removed one
    migration = importlib.import_module("engagements.migrations.0010_seed_gate_criteria")
    migration.seed(apps, None)
    assert older.gate_criteria.count() == 16
    history = GateCriterion.history.filter(engagement=older, history_type="+")
    assert history.count() == 16 and history.first().history_organisation_id == org.pk
    assert seeded.gate_criteria.count() == 15  # its gates had criteria: left as they are


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
