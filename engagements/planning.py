"""The guide's phase norms (§5) and the default plan a new engagement starts with."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import Protocol

from django.core.validators import MaxValueValidator, MinValueValidator

from .enums import BillingModel

# Dates outside this window are typing mistakes (year 20206), and would overflow date arithmetic.
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
DATE_BOUNDS = [
    MinValueValidator(EARLIEST, "Enter a date from the year 2000 on."),
    MaxValueValidator(LATEST, "Enter a date before the year 2101."),
]

# The plan fields of a phase, which the phase form edits and rescheduling moves.
PLAN_FIELDS = ["billing_model", "planned_start", "planned_end"]

POC_WEEKS = (6, 12)
HANDOVER_WEEKS = (4, 8)
HANDOVER_SHARE = (0.15, 0.20)

DEFAULT_POC_WEEKS = 8
DEFAULT_DEVELOPMENT_WEEKS = 16


NORMS = (
    f"Discovery & PoC: {POC_WEEKS[0]}–{POC_WEEKS[1]} weeks, billed time & materials. "
    "Development & Iteration: a dedicated team. "
    f"Transition & Handover: {HANDOVER_WEEKS[0]}–{HANDOVER_WEEKS[1]} weeks, "
    f"{HANDOVER_SHARE[0]:.0%}–{HANDOVER_SHARE[1]:.0%} of the total."
)


class PhasePlan(Protocol):
    """What the norms read of a phase: a saved `Phase` or a `PlannedPhase` alike."""

    number: int
    billing_model: str

    @property
    def planned_weeks(self) -> float: ...


@dataclass(frozen=True)
class PlannedPhase:
    number: int
    planned_start: date
    planned_end: date
    billing_model: str = ""

    @property
    def planned_weeks(self) -> float:
        return (self.planned_end - self.planned_start).days / 7


def _share(handover: int, build_weeks: int) -> float:
    return handover / (build_weeks + handover) if build_weeks + handover else 0


def _within_share(handover: int, build_weeks: int) -> bool:
    return HANDOVER_SHARE[0] <= _share(handover, build_weeks) <= HANDOVER_SHARE[1]


def handover_weeks_for(build_weeks: int) -> int:
    """Whole weeks of handover after `build_weeks` of PoC and development: within 4–8 weeks
    and 15–20% of the total where both can hold (the middle of the share, rounded up, or the
    nearest whole week that keeps both).

    When they cannot both hold — a build under 16 weeks (even 4 weeks is over 20%) or over
    45 weeks (even 8 weeks is under 15%) — the length wins: 4–8 weeks is what documentation,
    pair programming and a supervised period need whatever the project's size, while the
    share is the guide's rule of thumb for budgeting it. The plan then warns about the share
    (`plan_warnings`), and `handover_note` says why.
    """
    middle = sum(HANDOVER_SHARE) / 2
    weeks = math.ceil(middle * build_weeks / (1 - middle))
    weeks = min(max(weeks, HANDOVER_WEEKS[0]), HANDOVER_WEEKS[1])
    if _within_share(weeks, build_weeks):
        return weeks
    fitting = [
        w for w in range(HANDOVER_WEEKS[0], HANDOVER_WEEKS[1] + 1) if _within_share(w, build_weeks)
    ]
    if fitting:
        # Rounding the middle up overshot 20% (19 build weeks → 5 is 20.8%): the nearest fit.
        return min(fitting, key=lambda w: abs(_share(w, build_weeks) - middle))
    return weeks


def handover_note(build_weeks: int) -> str | None:
    """Why the default handover breaks the 15–20% share, when it must; None when it keeps both
    norms."""
    handover = handover_weeks_for(build_weeks)
    share = _share(handover, build_weeks)
    if HANDOVER_SHARE[0] <= share <= HANDOVER_SHARE[1]:
        return None
    side = "more" if share > HANDOVER_SHARE[1] else "less"
    return (
        f"With {build_weeks} weeks of PoC and development, no handover of "
        f"{HANDOVER_WEEKS[0]}–{HANDOVER_WEEKS[1]} weeks is {HANDOVER_SHARE[0]:.0%}–"
        f"{HANDOVER_SHARE[1]:.0%} of the total. The plan keeps the guide's length, "
        f"{handover} weeks ({share:.0%} of the total, {side} than the share): documentation, "
        "pair programming and a supervised period need that time whatever the project's size."
    )


# PoC + development lengths for which the default handover keeps both norms.
BALANCED_BUILD_WEEKS = (
    min(b for b in range(1, 400) if handover_note(b) is None),
    max(b for b in range(1, 400) if handover_note(b) is None),
)


def default_plan(
    start: date,
    poc_weeks: int = DEFAULT_POC_WEEKS,
    development_weeks: int = DEFAULT_DEVELOPMENT_WEEKS,
) -> list[PlannedPhase]:
    """Three back-to-back phases: PoC, development, and a handover of 4–8 weeks sized to
    15–20% of the total; where both cannot hold, 4–8 weeks (see `handover_weeks_for`)."""
    handover = handover_weeks_for(poc_weeks + development_weeks)
    phases, cursor = [], start
    for number, weeks in enumerate((poc_weeks, development_weeks, handover), start=1):
        end = cursor + timedelta(weeks=weeks)
        phases.append(PlannedPhase(number, cursor, end))
        cursor = end
    return phases


def weeks(value: float) -> str:
    """Weeks as people say them: 8, 3.3 — one decimal, none when whole."""
    rounded = round(value, 1)
    return f"{rounded:g}" if rounded == int(rounded) else f"{rounded:.1f}"


def share_text(share: float) -> str:
    """A share as a whole percentage, with a decimal where rounding would land on a bound
    of the 15–20% norm (14.8% must not read "15%" beside "budget 15–20%")."""
    text = f"{share:.0%}"
    bounds = {round(b * 100) for b in HANDOVER_SHARE}
    outside = not HANDOVER_SHARE[0] <= share <= HANDOVER_SHARE[1]
    return f"{share:.1%}" if outside and round(share * 100) in bounds else text


class MilestonePlan(Protocol):
    """What the norms read of a milestone: a saved `Milestone` or a `PlannedMilestone`."""

    title: str
    due_date: date


@dataclass(frozen=True)
class PlannedMilestone:
    title: str
    due_date: date


def plan_warnings(
    phases: Sequence[PhasePlan],
    milestones: Mapping[int, Sequence[MilestonePlan]] | None = None,
) -> list[str]:
    """Where a plan breaks the guide's norms (R01, R02, R05, R06, R19 on development and
    handover) or leaves a gap between phases, in words a CTO can act on. Cancelled phases are
    not part of the plan any more.

    `milestones` (phase number → its milestones) adds the milestone norms (R04, R25, R27,
    `milestone_warnings`); None means the caller did not load them, so they are not judged.
    """
    phases = [p for p in phases if getattr(p, "status", "") != "cancelled"]
    by_number = {p.number: p for p in phases}
    warnings = []
    poc, handover = by_number.get(1), by_number.get(3)
    if poc and not POC_WEEKS[0] <= poc.planned_weeks <= POC_WEEKS[1]:
        warnings.append(
            f"Discovery & PoC is planned for {weeks(poc.planned_weeks)} weeks; the guide expects "
            f"{POC_WEEKS[0]}–{POC_WEEKS[1]} weeks."
        )
    if poc and poc.billing_model == BillingModel.FIXED_PRICE:
        warnings.append(
            "Discovery & PoC is billed at a fixed price; bill it as time & materials — nobody "
            "can price an experiment before seeing the data."
        )
    for number, name in ((2, "Development & Iteration"), (3, "Transition & Handover")):
        phase = by_number.get(number)
        if phase and phase.billing_model == BillingModel.FIXED_PRICE:
            warnings.append(
                f"{name} is billed at a fixed price; the guide asks for a dedicated team — the "
                "path from data to a working model is rarely a straight line, and a rigid "
                "fixed price is one of its red flags."
            )
    if handover:
        if not HANDOVER_WEEKS[0] <= handover.planned_weeks <= HANDOVER_WEEKS[1]:
            warnings.append(
                f"Transition & Handover is planned for {weeks(handover.planned_weeks)} weeks; the "
                "guide "
                f"expects {HANDOVER_WEEKS[0]}–{HANDOVER_WEEKS[1]} weeks."
            )
        total = sum(p.planned_weeks for p in phases)
        share = handover.planned_weeks / total if total else 0
        if total and share < HANDOVER_SHARE[0]:
            warnings.append(
                f"Handover is {share_text(share)} of total project time; budget 15–20% so your "
                "team can take over."
            )
        elif total and share > HANDOVER_SHARE[1]:
            warnings.append(
                f"Handover is {share_text(share)} of total project time; the guide budgets "
                "15–20% — check that development is not being finished during the handover."
            )
    ordered = sorted(phases, key=lambda p: p.number)
    for earlier, later in pairwise(ordered):
        gap = (later.planned_start - earlier.planned_end).days
        if gap > 0:
            warnings.append(
                f"There {'is' if gap == 1 else 'are'} {gap} day{'s' if gap != 1 else ''} between "
                f"phase {earlier.number} and phase {later.number} in which nothing is planned; "
                "close the gap or say why in the plan."
            )
    if milestones is not None:
        warnings += milestone_warnings(phases, milestones)
    return warnings


# --- Milestone norms (R04, R25, R27) -------------------------------------------------------

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
    by_number = {p.number: p for p in phases}
    warnings: list[str] = []
    development = by_number.get(2)
    if development is None:
        return warnings
    status = getattr(development, "status", "planned")
    later = [m for n in (2, 3) for m in milestones.get(n, ())]
    if status not in ("planned", "active") or not (later or status == "active"):
        return warnings
    if not any(is_hardening(m.title) for m in later):
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


def kpi_warnings(kpis) -> list[str]:
    """KPIs whose target is worse than their baseline: usually a typo, or a direction flipped
    ("manual tickets" should fall, not rise)."""
    warnings = []
    for kpi in kpis:
        if kpi.baseline is None or kpi.target is None or kpi.baseline == kpi.target:
            continue
        worse = kpi.target < kpi.baseline if kpi.higher_is_better else kpi.target > kpi.baseline
        if worse:
            direction = "rise" if kpi.higher_is_better else "fall"
            warnings.append(
                f"KPI “{kpi.name}”: the target is worse than the baseline for a metric that "
                f"should {direction}; check the figures or the direction."
            )
    return warnings
