"""The milestone norms (R04, R25, R27): milestones are process steps, not promises of a model
score; production hardening comes between the PoC and production; MLOps work starts in
development's first weeks. Plain functions over titles and dates, read by `plan_warnings`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .planning import PhasePlan


class MilestonePlan(Protocol):
    """What the norms read of a milestone: a saved `Milestone` or a `PlannedMilestone`."""

    title: str
    due_date: date


@dataclass(frozen=True)
class PlannedMilestone:
    title: str
    due_date: date


# Model-quality metrics whose value a milestone must not promise (R04).
_METRIC = re.compile(
    r"(?<![\w@])(?:"
    r"top[\s-]?\d+\s+accuracy|accuracy|accurate|precision(?:@\d+)?|recall(?:@\d+)?"
    r"|f[\s-]?(?:1|one|beta)(?:[\s-]?(?:score|measure))?|f[\s-]?(?:score|measure)"
    r"|(?:roc[\s-]?)?auc(?:[\s-]?(?:roc|pr))?|au[\s-]?roc|map@\d+|mean average precision"
    r"|ndcg(?:@\d+)?|(?:word |character )?error rate|wer|cer|rmse|mae|mape|r2|r²|r-squared"
    r"|iou|bleu|rouge(?:-\w+)?|specificity|sensitivity|false (?:positive|negative) rate"
    r"|hit rate|exact match|kappa|mcc|log[\s-]?loss"
    r")(?![\w@])",
    re.IGNORECASE,
)
# A score: 95%, 95 percent, 0.9, .85 — not a version (v0.9), a count or a sprint number.
_SCORE = re.compile(
    r"(?<![\w.])(?:\d{1,3}(?:[.,]\d+)?\s?(?:%|percent\b|per\s?cent\b|pct\b)|0?\.\d+)"
    r"(?![\w.%])",
    re.IGNORECASE,
)
# "release 0.9", "sprint 0.5": a number after these words is a name, not a score.
_NAMING = frozenset(
    ["release", "version", "v", "sprint", "phase", "step", "stage", "iteration", "week", "api"]
)
# "100% of traffic": a share of something, not a score.
_PROPORTION = re.compile(r"\s*of\b", re.IGNORECASE)
# The words that may stand between a metric and its score in a promise ("F1 score of at
# least 0.9 on the hold-out set", "95% macro F1"); any other word means they are not one
# phrase ("accuracy dashboard for 100% of models").
_CONNECTORS = frozenset(
    [
        "score",
        "scores",
        "of",
        "above",
        "over",
        "at",
        "least",
        "most",
        "to",
        "reach",
        "reaches",
        "reached",
        "reaching",
        "exceed",
        "exceeds",
        "exceeding",
        "greater",
        "higher",
        "better",
        "more",
        "than",
        "no",
        "not",
        "less",
        "lower",
        "below",
        "under",
        "is",
        "be",
        "are",
        ">=",
        "<=",
        ">",
        "<",
        "=",
        "≥",
        "≤",
        "~",
        "≈",
        "around",
        "about",
        "approximately",
        "approx",
        "target",
        "targets",
        "a",
        "an",
        "the",
        "validation",
        "test",
        "test-set",
        "holdout",
        "hold-out",
        "set",
        "on",
        "in",
        "macro",
        "micro",
        "weighted",
        "average",
        "mean",
        "overall",
        "model's",
        "model",
        "minimum",
        "min",
        "maximum",
        "max",
        "from",
        "up",
        "by",
        "improve",
        "improved",
        "improving",
        "increase",
        "increased",
        "raise",
        "raised",
        "boost",
        "boosted",
        "get",
        "gets",
        "achieve",
        "achieves",
        "achieving",
        "hit",
        "hits",
        "hitting",
        "deliver",
        "delivers",
        "guaranteed",
        "guarantee",
        "consistently",
        "reliably",
        "plus",
        "+",
    ]
)
_BREAK = re.compile(r"[;!?\n]|\.(?!\d)")


def score_promise(text: str) -> str | None:
    """The phrase in `text` that promises a model score ("95% accuracy", "F1 of 0.9",
    "AUC ≥ .85"), or None. A metric named without a value ("deploy the accuracy dashboard",
    "track precision and recall weekly") is process wording and passes (R04)."""
    text = text or ""
    metrics = list(_METRIC.finditer(text))
    if not metrics:
        return None
    for score in _SCORE.finditer(text):
        before = text[: score.start()].split()
        if before and before[-1].lower().strip(":#(") in _NAMING:
            continue
        if _PROPORTION.match(text, score.end()):
            continue
        for metric in metrics:
            first, second = sorted((metric, score), key=lambda m: m.start())
            between = text[first.end() : second.start()]
            if first.end() > second.start() or _BREAK.search(between):
                continue
            words = [w.strip(":,()'\"–—-") for w in between.split()]
            if all(not w or w.lower() in _CONNECTORS for w in words) and len(words) <= 8:
                return text[first.start() : second.end()].strip()
    return None


_HARDENING = re.compile(
    r"\bharden(?:ed|ing|s)?\b|error[\s-]handling|exception[\s-]handling|hard[\s-]?coded"
    r"|production[\s-]read(?:y|iness)|production[\s-]grade|productioni[sz](?:e|ed|ing|ation)"
    r"|load[\s-]test|failover|graceful degradation|fallback",
    re.IGNORECASE,
)
_MLOPS = re.compile(
    r"\bmlops\b|experiment[\s-]tracking|track(?:ing)? (?:of )?experiments|mlflow"
    r"|weights\s?(?:&|and)\s?biases|model[\s-](?:versioning|registry|versions?)"
    r"|version(?:ing|ed)? (?:the |of |all )*(?:models?|data|datasets?)|monitoring|\bmonitor"
    r"|drift|retrain(?:ing)?[\s-](?:pipeline|automation|job)|automated retraining"
    r"|data[\s-]validation|ci/cd|continuous training|feature store",
    re.IGNORECASE,
)
MLOPS_EARLY_WEEKS = 4


def is_hardening(title: str) -> bool:
    """Production-hardening wording (R25): hardening, error handling, removing hardcoded
    thresholds, production readiness."""
    return bool(_HARDENING.search(title or ""))


def is_mlops(title: str) -> bool:
    """MLOps wording (R27): experiment tracking, model versioning, monitoring, drift,
    retraining pipeline, data validation."""
    return bool(_MLOPS.search(title or ""))


def milestone_warnings(
    phases: Iterable[PhasePlan], milestones: Mapping[int, Sequence[MilestonePlan]]
) -> list[str]:
    """The milestone norms, phase number → milestones:

    R04: the milestones that promise a model score are named in ONE warning, with the guide's
        advice once (`score_promise_warning`).
    R25: no production-hardening milestone in development or handover, between the PoC and
        production.
    R27: no MLOps milestone due in development's first 4 weeks (or earlier).

    R25 and R27 judge a plan once there is one to judge: when development or handover has
    milestones, or development has started. A PoC that has only just begun is not nagged.
    They stop once development is over (the plan can no longer change where it matters)."""
    promising = [
        milestone.title
        for number in sorted(milestones)
        for milestone in milestones[number]
        if score_promise(milestone.title)
    ]
    warnings = [score_promise_warning(promising)] if promising else []
    return warnings + missing_milestone_warnings(phases, milestones)


# How many titles the folded R04 warning quotes before it says "and N more".
QUOTED_PROMISES = 3


def score_promise_warning(titles: Sequence[str]) -> str:
    """R04 for a whole plan, in one warning: how many milestones promise a model score, which
    (the first few), and the guide's advice once — not a paragraph per milestone."""
    count = len(titles)
    quoted = ", ".join(f"“{title}”" for title in titles[:QUOTED_PROMISES])
    if count > QUOTED_PROMISES:
        quoted += f" and {count - QUOTED_PROMISES} more"
    subject = "1 milestone promises" if count == 1 else f"{count} milestones promise"
    return (
        f"{subject} a model score ({quoted}): milestones are process steps, e.g. “end-to-end "
        "pipeline deployed in staging”. A score is what experiments find, not a date anyone "
        "can promise: keep the target as a KPI and name the step that gets there."
    )


def score_advice(phrase: str) -> str:
    """The guide's advice on a milestone that promises a model score (R04)."""
    return (
        f"it promises a model score ({phrase}). The guide asks for process milestones "
        "(“end-to-end pipeline deployed in staging”): a score is what experiments find, not a "
        "date anyone can promise. Keep the target as a KPI and name the step that gets there."
    )


def missing_milestone_warnings(
    phases: Iterable[PhasePlan], milestones: Mapping[int, Sequence[MilestonePlan]]
) -> list[str]:
    """R25 and R27 (see `milestone_warnings`)."""
    phases = list(phases)
    warnings: list[str] = []
    development = judged_development(phases, milestones)
    if development is None:
        return warnings
    if lacks_hardening(phases, milestones):
        warnings.append(
            "No production-hardening milestone between the PoC and production: PoCs use "
            "hardcoded thresholds and lack error handling. Plan one in Development & Iteration "
            "(“remove hardcoded thresholds, add error handling and alerts”)."
        )
    early = development.planned_start + timedelta(weeks=MLOPS_EARLY_WEEKS)
    mlops = [
        m
        for n in (1, 2)
        for m in milestones.get(n, ())
        if is_mlops(m.title) and m.due_date <= early
    ]
    if not mlops:
        warnings.append(
            f"No MLOps milestone in the first {MLOPS_EARLY_WEEKS} weeks of development (by "
            f"{early:%-d %b %Y}): experiment tracking, model versioning and monitoring belong "
            "in the architecture from sprint 1, not the final week."
        )
    return warnings


def judged_development(
    phases: Iterable[PhasePlan], milestones: Mapping[int, Sequence[MilestonePlan]]
) -> PhasePlan | None:
    """Development & Iteration when R25 and R27 judge the plan (see `milestone_warnings`):
    it is planned or active, and has started or there are later milestones to judge."""
    development = next((p for p in phases if p.number == 2), None)
    if development is None:
        return None
    status = getattr(development, "status", "planned")
    later = any(milestones.get(n) for n in (2, 3))
    if status not in ("planned", "active") or not (later or status == "active"):
        return None
    return development


def lacks_hardening(
    phases: Iterable[PhasePlan], milestones: Mapping[int, Sequence[MilestonePlan]]
) -> bool:
    """R25: the plan is judged and no development or handover milestone hardens the PoC
    for production (the risk radar's "PoC treated as production" reads it too)."""
    phases = list(phases)
    if judged_development(phases, milestones) is None:
        return False
    return not any(is_hardening(m.title) for n in (2, 3) for m in milestones.get(n, ()))


def milestones_by_phase(phases: Iterable, milestones: Iterable) -> dict[int, list]:
    """{phase number: its milestones}, the shape the norms read, from saved rows (each with
    `phase_id`) and the engagement's phases; a milestone of no listed phase goes under 0."""
    numbers = {phase.pk: phase.number for phase in phases}
    grouped: dict[int, list] = {}
    for milestone in milestones:
        grouped.setdefault(numbers.get(milestone.phase_id, 0), []).append(milestone)
    return grouped
