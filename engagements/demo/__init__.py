"""A living demo portfolio: engagements in every phase, with recorded gate decisions.

Built in memory and written with bulk inserts, so a thousand engagements take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from accounts.models import Membership, Organisation
from accounts.roles import Role
from handover.seeding import Demo

from ..actions import build_plan
from ..enums import GO_OUTCOMES, ConditionStatus
from ..gates import apply_decision, baseline_phases
from ..models import (
    Engagement,
    Gate,
    GateCondition,
    GateDecision,
    Kpi,
    KpiKind,
    Outcome,
    Phase,
    PlanBaseline,
)
from .criteria import seed_gate_criteria
from .plan import seed_milestones_checklists_log
from .radar import seed_health
from .scenarios import scenario_index
from .spend import seed_spend_and_changes
from .votes import seed_gate_votes
from .weekly import seed_weekly_reports

# (title, problem, business KPI (name, unit, baseline, target, higher_is_better), technical KPI)
PROBLEMS = [
    (
        "Support ticket triage assistant",
        "Agents spend hours routing and answering repetitive tickets; response times slip.",
        ("Manual support tickets", "a month", 1200, 720, False),
        ("Intent classifier F1", "", Decimal("0.70"), Decimal("0.85"), True),
    ),
    (
        "Invoice data extraction",
        "Finance re-keys supplier invoices by hand; errors delay month-end close.",
        ("Manual processing hours", "a month", 900, 300, False),
        ("Field-level F1", "", Decimal("0.60"), Decimal("0.92"), True),
    ),
    (
        "Dynamic pricing pilot",
        "List prices are reviewed quarterly and leave margin on the table.",
        ("Gross margin", "%", 31, 33, True),
        ("Demand forecast MAPE", "%", 18, 8, False),
    ),
    (
        "Churn prediction for B2B accounts",
        "Account managers learn about churn when the cancellation arrives.",
        ("Monthly logo churn", "%", Decimal("2.4"), Decimal("1.9"), False),
        ("ROC AUC", "", Decimal("0.62"), Decimal("0.80"), True),
    ),
    (
        "Card payment fraud screening",
        "Rule-based screening misses new fraud patterns and blocks good customers.",
        ("Chargebacks", "a month", 180, 110, False),
        ("Precision at 1% alert rate", "", Decimal("0.55"), Decimal("0.90"), True),
    ),
    (
        "Product recommendations layer",
        "The storefront shows the same best-sellers to everyone.",
        ("Conversion rate", "%", Decimal("2.1"), Decimal("2.5"), True),
        ("Recall@10", "", Decimal("0.12"), Decimal("0.30"), True),
    ),
    (
        "Contract clause review with a fine-tuned LLM",
        "Legal reviews every supplier contract line by line.",
        ("Review hours per contract", "h", 3, Decimal("1.5"), False),
        ("Clause extraction F1", "", Decimal("0.65"), Decimal("0.85"), True),
    ),
]
VENDORS = ["Northwind ML", "Tessellate AI", "Quantile Labs", "Brightpath Analytics", "DeepHarbor"]
REASONS = [
    "Validate feasibility before committing to an ML team.",
    "AI is an enhancement layer on our SaaS core, not the product itself.",
    "Niche expertise for one feature: the vendor has shipped this kind of model before.",
    "Hard deadline: the board committed to a release date before we could hire.",
]


@dataclass(frozen=True)
class Scenario:
    """Where a demo engagement stands: weeks since it started, and its decisions so far as
    (gate, outcome, weeks after start, new end in weeks after start for Recycle)."""

    weeks_ago: int
    decisions: tuple[tuple[int, str, int, int | None], ...] = ()


SCENARIOS = [
    Scenario(3),
    Scenario(10, ((1, Outcome.HOLD, 9, None),)),
    # Conditional Go: development runs while gate 1's conditions are done (CONDITIONS below).
    Scenario(14, ((1, Outcome.CONDITIONAL_GO, 8, None),)),
    # Development recycled for one more three-week iteration: the plan ends later than the
    # baseline approved at gate 1 (a slip the radar shows in amber).
    Scenario(26, ((1, Outcome.GO, 8, None), (2, Outcome.RECYCLE, 24, 27))),
    Scenario(27, ((1, Outcome.GO, 8, None), (2, Outcome.GO, 24, None))),
    # A year of delivery: a late PoC, development recycled once, handed over and closed.
    Scenario(
        52,
        (
            (1, Outcome.GO, 9, None),
            (2, Outcome.RECYCLE, 25, 40),
            (2, Outcome.GO, 40, None),
            (3, Outcome.GO, 47, None),
        ),
    ),
    Scenario(12, ((1, Outcome.NO_GO, 9, None),)),
]
RATIONALE = {
    Outcome.GO: "Baseline beats the agreed threshold on held-out data; data readiness is adequate.",
    Outcome.CONDITIONAL_GO: "The baseline is promising on vendor-held data; continue while the "
    "client's own hold-out evaluation and the data-handling agreement are completed.",
    Outcome.NO_GO: "Labelled data is too sparse to reach the target; stopping before a build.",
    Outcome.HOLD: "Waiting for legal clearance to share the personal data the model needs.",
    Outcome.RECYCLE: "Pipeline is not yet deployed in staging; one more iteration agreed.",
}


# The demo's Go decisions were taken before their gate's criteria were tracked here: each says
# so, as an override, so no Go stands over unmet must-meet criteria without a reason.
OVERRIDE = (
    "Decided in the gate meeting on the evidence presented there, before the gate's criteria "
    "were tracked in Handover."
)
# The Conditional Go's conditions: (title, weeks after the decision it is due, weeks after it
# was done, or None while open). The first was met on time; the second is still open.
CONDITIONS = [
    ("Evaluate the model on the client's own hold-out set", 4, 3),
    ("Sign the data-handling agreement (encryption, deletion timeline)", 8, None),
]
CONDITION_MET = "Evaluated on the client's hold-out set: F1 0.86 against the 0.85 target."


@transaction.atomic
def seed_engagements(
    organisation: Organisation, count: int, owner: Membership, vendor: Membership, today: date
) -> int:
    """Top the organisation up to `count` demo engagements; returns how many were added."""
    existing = organisation.engagements.count()
    engagements, phases, gates, decisions, kpis, contacts = [], [], [], [], [], []
    baselines, conditions = [], []
    Contact = Engagement.vendor_contacts.through
    for i in range(existing, count):
        title, problem, business, technical = PROBLEMS[i % len(PROBLEMS)]
        round_ = i // len(PROBLEMS)
        scenario = SCENARIOS[scenario_index(i)]
        engagement = Engagement(
            organisation=organisation,
            title=title if round_ == 0 else f"{title} #{round_ + 1}",
            business_problem=problem,
            outsourcing_reason=REASONS[i % len(REASONS)],
            vendor_name=VENDORS[i % len(VENDORS)],
            budget=Decimal(120_000 + (i * 37_000) % 780_000),
            start_date=today - timedelta(weeks=scenario.weeks_ago),
            created_by=owner.user,
        )
        engagement_phases, engagement_gates = build_plan(engagement)
        by_number = {p.number: p for p in engagement_phases}
        for number, outcome, week, new_end in scenario.decisions:
            decision = GateDecision(
                gate=engagement_gates[number - 1],
                outcome=outcome,
                rationale=RATIONALE[outcome],
                decided_by=owner.user,
                decided_on=engagement.start_date + timedelta(weeks=week),
                attendees="CTO, Head of Data, vendor delivery lead",
                new_end_date=engagement.start_date + timedelta(weeks=new_end) if new_end else None,
                override_reason=OVERRIDE if outcome in GO_OUTCOMES else "",
            )
            apply_decision(engagement, by_number, decision)
            decisions.append(decision)
            if outcome in GO_OUTCOMES:  # each Go approves the plan as it then stands
                baselines.append(
                    PlanBaseline(
                        engagement=engagement,
                        decision=decision,
                        approved_on=decision.decided_on,
                        phases=baseline_phases(by_number.values()),
                        budget_approved=engagement.budget,
                    )
                )
            if outcome == Outcome.CONDITIONAL_GO:
                conditions += [
                    _condition(engagement, decision, owner.user, title, due, done, today)
                    for title, due, done in CONDITIONS
                ]
        engagements.append(engagement)
        phases += engagement_phases
        gates += engagement_gates
        for kind, (name, unit, baseline, target, higher) in (
            (KpiKind.BUSINESS, business),
            (KpiKind.TECHNICAL, technical),
        ):
            kpis.append(
                Kpi(
                    engagement=engagement,
                    kind=kind,
                    name=name,
                    unit=unit,
                    baseline=Decimal(baseline),
                    target=Decimal(target),
                    higher_is_better=higher,
                )
            )
        if engagement.vendor_name == VENDORS[0]:
            contacts.append(Contact(engagement=engagement, membership=vendor))

    # Parents first: bulk_create fills each child's foreign key from its saved parent.
    for model, rows in (
        (Engagement, engagements),
        (Phase, phases),
        (Gate, gates),
        (GateDecision, decisions),
        (PlanBaseline, baselines),
        (GateCondition, conditions),
        (Kpi, kpis),
        (Contact, contacts),
    ):
        model.objects.bulk_create(rows, batch_size=500)
    return len(engagements)


def _condition(engagement, decision, owner, title, due, done, today) -> GateCondition:
    condition = GateCondition(
        engagement=engagement,
        decision=decision,
        title=title,
        owner=owner,
        due_date=decision.decided_on + timedelta(weeks=due),
    )
    done_on = decision.decided_on + timedelta(weeks=done) if done is not None else None
    if done_on is not None and done_on <= today:
        condition.status, condition.done_on = ConditionStatus.DONE, done_on
        condition.done_by, condition.note = owner, CONDITION_MET
    return condition


def seed(demo: Demo) -> None:
    """Top the demo organisation up to `demo.engagements` engagements."""
    added = seed_engagements(
        demo.organisation,
        demo.engagements,
        owner=demo.members[Role.OWNER],
        vendor=demo.members[Role.VENDOR],
        today=demo.today,
    )
    # What happens inside each engagement: the other modules' demo data, from the guide.
    engagements = list(demo.organisation.engagements.order_by("pk"))
    seed_milestones_checklists_log(engagements, demo.members, demo.today)
    seed_weekly_reports(engagements, demo.members, demo.today)
    seed_spend_and_changes(engagements, demo.members, demo.today)
    seed_gate_criteria(engagements, demo.members, demo.today)
    seed_gate_votes(engagements, demo.members, demo.today)
    total = len(engagements)
    demo.summary.append(
        f"Organisation “{demo.organisation.name}” ({demo.slug}): {total} engagements "
        f"({added} added)."
    )
    seed_health(demo)  # last: the stored health, once everything above is written
