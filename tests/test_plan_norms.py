"""The plan norms added in issue 7, as scenario tests on plain data (no database): R04
(score-promising milestones), R25 (production hardening), R27 (MLOps from sprint 1), R19 on
development and handover, a handover over 20%, and which norm the default plan keeps."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from engagements.enums import BillingModel
from engagements.forms import PlanForm
from engagements.milestone_norms import (
    PlannedMilestone,
    is_hardening,
    is_mlops,
    milestone_warnings,
    score_promise,
)
from engagements.planning import (
    BALANCED_BUILD_WEEKS,
    PlannedPhase,
    default_plan,
    handover_note,
    handover_weeks_for,
    plan_warnings,
)

START = date(2026, 1, 5)


def _plan(poc=8, dev=16, handover=5, billing=("", "", "")):
    phases, start = [], START
    for number, weeks in enumerate((poc, dev, handover), start=1):
        end = start + timedelta(weeks=weeks)
        phases.append(PlannedPhase(number, start, end, billing[number - 1]))
        start = end
    return phases


PROMISES = [
    "Reach 95% accuracy",
    "reach 95 % accuracy on the test set",
    "F1 of 0.9",
    "F1-score ≥ 0.85",
    "macro F1 = 0.88",
    "Precision above 80%",
    "AUC ≥ .85",
    "AUC>=0.85",
    "ROC AUC: 0.85",
    "Achieve an F1 score of at least 0.9 on the hold-out set",
    "95 percent precision",
    "Recall@10 of 0.3",
    "model accuracy > 90%",
    "Top-1 accuracy 90%",
    "Improve recall from 0.6 to 0.8",
    "Error rate below 5%",
    "99% accurate intent classifier",
    "Hit 92% precision",
    "Guaranteed 95% accuracy",
    "WER under 10%",
    "mAP@50 of .6",
    "Increase precision by 5%",
    "accuracy of 95 per cent",
]
PROCESS = [
    "Deploy the accuracy dashboard",
    "End-to-end pipeline deployed in staging",
    "Track precision and recall weekly",
    "Set up F1 tracking for 100% of experiments",
    "Monitoring accuracy on 100% of traffic",
    "Release 0.9 of the accuracy dashboard",
    "Label 95% of the training data",
    "Sprint 2: precision-recall curve in the report",
    "Document accuracy and 100% test coverage",
    "Error handling for 100% of API calls",
    "Accuracy dashboard v2",
    "Evaluate F1 on the client's hold-out set",
    "Migrate 100% of traffic to the new model",
    "Precision/recall monitoring in Grafana",
    "Baseline model trained; accuracy report shared",
    "",
]


@pytest.mark.parametrize("title", PROMISES)
def test_a_milestone_promising_a_model_score_is_flagged(title):
    """R04: wording that promises a score is caught, and the phrase is named."""
    phrase = score_promise(title)
    assert phrase and phrase in title


@pytest.mark.parametrize("title", PROCESS)
def test_process_wording_is_not_flagged(title):
    """R04: a metric named without a promised value is process wording."""
    assert score_promise(title) is None


def test_an_accuracy_milestone_warns_with_the_guides_advice():
    """R04: "reach 95% accuracy" warns and says what to write instead."""
    milestones = {2: [PlannedMilestone("Reach 95% accuracy", START + timedelta(weeks=20))]}
    warnings = plan_warnings(_plan(), milestones)
    flagged = [w for w in warnings if "Reach 95% accuracy" in w]
    assert len(flagged) == 1
    assert flagged[0].startswith("1 milestone promises a model score (“Reach 95% accuracy”)")
    assert "end-to-end pipeline deployed in staging" in flagged[0]


def test_score_promises_fold_into_one_warning():
    """R04: five promising milestones make one warning that counts them, quotes the first
    three and gives the guide's advice once."""
    titles = ["F1 of 0.9", "Reach 95% accuracy", "AUC ≥ .85", "Recall above 70%", "MAPE < 5%"]
    day = START + timedelta(weeks=20)
    milestones = {
        2: [PlannedMilestone(t, day) for t in titles[:3]],
        3: [PlannedMilestone(t, day) for t in titles[3:]],
    }
    flagged = [w for w in plan_warnings(_plan(), milestones) if "model score" in w]
    assert flagged == [
        "5 milestones promise a model score (“F1 of 0.9”, “Reach 95% accuracy”, “AUC ≥ .85” "
        "and 2 more): milestones are process steps, e.g. “end-to-end pipeline deployed in "
        "staging”. A score is what experiments find, not a date anyone can promise: keep the "
        "target as a KPI and name the step that gets there."
    ]


@pytest.mark.parametrize(
    "title",
    [
        "Production hardening",
        "Remove hardcoded thresholds",
        "Add error handling",
        "Production readiness review",
        "Harden the inference API",
    ],
)
def test_hardening_wording_is_recognised(title):
    assert is_hardening(title)


@pytest.mark.parametrize(
    "title",
    [
        "Experiment tracking in MLflow",
        "Model versioning",
        "Drift monitoring live",
        "Set up monitoring",
        "Model registry and data validation",
        "MLOps baseline",
    ],
)
def test_mlops_wording_is_recognised(title):
    assert is_mlops(title)


def test_baseline_titles_are_neither_hardening_nor_mlops():
    for title in ("Baseline model trained", "End-to-end pipeline deployed in staging"):
        assert not is_hardening(title) and not is_mlops(title)


def _dev(weeks_in, title):
    return PlannedMilestone(title, START + timedelta(weeks=8 + weeks_in))


def test_no_hardening_milestone_between_poc_and_production_warns():
    """R25: a development plan without a production-hardening step warns."""
    milestones = {2: [_dev(2, "Experiment tracking in MLflow"), _dev(10, "Pipeline in staging")]}
    warnings = milestone_warnings(_plan(), milestones)
    assert any("production-hardening" in w for w in warnings)
    milestones[2].append(_dev(12, "Remove hardcoded thresholds, add error handling"))
    assert not any("production-hardening" in w for w in milestone_warnings(_plan(), milestones))


def test_a_hardening_milestone_in_handover_counts_too():
    """R25: hardening planned in Transition & Handover is still before production."""
    milestones = {
        2: [_dev(2, "Model versioning")],
        3: [PlannedMilestone("Production readiness review", START + timedelta(weeks=25))],
    }
    assert milestone_warnings(_plan(), milestones) == []


def test_mlops_only_late_in_development_warns():
    """R27: MLOps first due in week 10 of development is "an afterthought"."""
    milestones = {2: [_dev(10, "Experiment tracking and model versioning"), _dev(12, "Hardening")]}
    warnings = milestone_warnings(_plan(), milestones)
    assert len(warnings) == 1 and "first 4 weeks of development" in warnings[0]
    assert "by 30 Mar 2026" in warnings[0]  # development starts on 2 Mar
    early = {2: [_dev(4, "Experiment tracking and model versioning"), _dev(12, "Hardening")]}
    assert milestone_warnings(_plan(), early) == []


def test_an_mlops_milestone_in_the_poc_counts_as_early():
    """R27: set up during the PoC is earlier still."""
    milestones = {
        1: [PlannedMilestone("Experiment tracking", START + timedelta(weeks=6))],
        2: [_dev(12, "Production hardening")],
    }
    assert milestone_warnings(_plan(), milestones) == []


def test_milestone_norms_wait_for_a_plan_and_stop_after_development():
    """R25/R27 judge development once it has milestones or has started; not a fresh PoC,
    and not once development is done."""
    assert milestone_warnings(_plan(), {}) == []
    assert milestone_warnings(_plan(), {1: [PlannedMilestone("Data audit", START)]}) == []
    running = _plan()
    started = [running[0], _Phase(running[1], "active"), running[2]]
    assert len(milestone_warnings(started, {})) == 2
    finished = [running[0], _Phase(running[1], "done"), running[2]]
    assert milestone_warnings(finished, {2: [_dev(3, "Pipeline")]}) == []


class _Phase:
    def __init__(self, planned, status):
        self.__dict__.update(planned.__dict__, status=status)

    @property
    def planned_weeks(self):
        return (self.planned_end - self.planned_start).days / 7


def test_milestone_norms_are_skipped_when_milestones_were_not_loaded():
    assert plan_warnings(_plan(billing=("", "", ""))) == []
    assert plan_warnings(_plan(), None) == []


@pytest.mark.parametrize("number", [2, 3])
def test_fixed_price_development_or_handover_warns(number):
    """R19 (and R03): a rigid fixed price on development or handover warns."""
    billing = ["time_materials", "dedicated_team", "dedicated_team"]
    billing[number - 1] = BillingModel.FIXED_PRICE
    warnings = plan_warnings(_plan(billing=tuple(billing)))
    assert len(warnings) == 1 and "fixed price" in warnings[0] and "dedicated team" in warnings[0]


def test_a_25_percent_handover_warns():
    """R06: over 20% warns as well as under 15% (8 of 32 weeks is 25%)."""
    warnings = plan_warnings(_plan(8, 16, 8))
    assert len(warnings) == 1 and "25%" in warnings[0] and "15–20%" in warnings[0]


def test_a_share_just_under_15_percent_does_not_read_15_percent():
    # 8 of 54 weeks is 14.8%: "15%" beside "budget 15–20%" would read as a false alarm.
    warnings = plan_warnings(_plan(8, 38, 8))
    assert any("14.8%" in w for w in warnings)


@pytest.mark.parametrize("build", range(BALANCED_BUILD_WEEKS[0], BALANCED_BUILD_WEEKS[1] + 1))
def test_the_default_plan_keeps_both_handover_norms_where_they_can_hold(build):
    assert plan_warnings(default_plan(START, 8, build - 8)) == []
    assert handover_note(build) is None


@pytest.mark.parametrize("build", [6, 15, 46, 200])
def test_the_default_plan_says_which_norm_it_keeps_when_both_cannot_hold(build):
    handover = handover_weeks_for(build)
    assert 4 <= handover <= 8  # the length wins
    note = handover_note(build)
    assert note and f"{handover} weeks" in note and "keeps the guide's length" in note


def test_the_balanced_range_is_what_the_guide_allows():
    # 4 weeks is 20% of 20 (16 + 4); 8 weeks is 15.1% of 53 (45 + 8).
    assert BALANCED_BUILD_WEEKS == (16, 45)


def test_a_19_week_build_no_longer_rounds_over_20_percent():
    # Rounding the 17.5% middle up gave 5 weeks, 20.8% of 24.
    assert handover_weeks_for(19) == 4


def test_the_create_forms_help_promises_only_what_the_plan_keeps():
    help_text = str(PlanForm().fields["development_weeks"].help_text)
    assert "16–45 weeks" in help_text and "keeps 4–8 weeks" in help_text
