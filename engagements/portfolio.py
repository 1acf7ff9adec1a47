"""The portfolio dashboard a CTO steers by: which engagements it lists (filters), in what order
(urgency), what the strip above it adds up (summary), and the texts each row prints (the rows
themselves: `portfolio_rows.py`).

Insiders read the health the radar stored on each engagement (`health.refresh_health`), and
everyone the next gate's due date, the spend to date, the budget approved, the running phase
and the KPI trend stored with it, so filtering, counting, summing, sorting and drawing read
plain columns at any portfolio size (rows not refreshed yet are refreshed first:
`refresh_unassessed`). Vendor contacts
get no health column: stored health is an internal field (it weighs the money), and a second,
money-blind colour computed for them would contradict the one the client steers by; their
engagement page shows the radar without money, beside its reasons.

Every query here runs a fixed number of times whatever the number of engagements or of their
weekly reports; `tests/test_portfolio.py` asserts the count at 10 and at 1,000.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
)

from .enums import PHASES, EngagementStatus
from .health import refresh_health
from .templatetags.formatting import money as money_text

PAGE_SIZE = 50
DUE_SOON_DAYS = 30
HEALTHS = ("red", "amber", "green")
OPEN = (EngagementStatus.ACTIVE, EngagementStatus.ON_HOLD)
CLOSED = (EngagementStatus.COMPLETED, EngagementStatus.STOPPED)
# The phase filter's values: a phase number (the phase running now), not started, or closed.
PHASE_CHOICES = [(str(n), f"{n}. {name}") for n, (name, _) in PHASES.items()] + [
    ("planned", "Not started"),
    ("closed", "Closed (completed or stopped)"),
]
SORT_CHOICES = [("urgency", "Most urgent first"), ("newest", "Newest first")]


@dataclass(frozen=True)
class Filters:
    """What the member asked to see; empty means "any"."""

    phase: str = ""
    health: str = ""
    vendor: str = ""
    owner: int | None = None
    sort: str = "urgency"

    @property
    def narrowed(self) -> bool:
        return bool(self.phase or self.health or self.vendor or self.owner)

    def query(self, page: int | None = None) -> str:
        """The query string that shows these filters again (on another page): pager links
        keep the filters."""
        from urllib.parse import urlencode

        pairs = [
            (name, value)
            for name, value in (
                ("phase", self.phase),
                ("health", self.health),
                ("vendor", self.vendor),
                ("owner", self.owner or ""),
                ("sort", "" if self.sort == "urgency" else self.sort),
                ("page", page or ""),
            )
            if value
        ]
        return urlencode(pairs)


# --- Queries -------------------------------------------------------------------------------


def refresh_unassessed(engagements, today: date) -> int:
    """Store the health and figures of the rows the radar has not refreshed yet (created a
    moment before their refresh ran, or before the figures existed), so the sort, the sums
    and the rows below read stored columns only. The view calls it only when
    `filter_choices` counted such rows (the normal case after each write's refresh and the
    hourly one: none); a cache fill, not a change: the refresh writes derived fields only
    (`health.STORED_FIELDS`)."""
    ids = list(engagements.filter(health_refreshed_at__isnull=True).values_list("pk", flat=True))
    return refresh_health(ids, today) if ids else 0


def filtered(engagements, filters: Filters, *, insider: bool):
    """`engagements` (already restricted to the member) narrowed by `filters`."""
    rows = engagements
    if filters.phase == "planned":
        rows = rows.filter(status=EngagementStatus.PLANNED)
    elif filters.phase == "closed":
        rows = rows.filter(status__in=CLOSED)
    elif filters.phase:
        # The running phase as the refresh stored it (`health.current_phase_number`).
        rows = rows.filter(current_phase_number=int(filters.phase)).exclude(status__in=CLOSED)
    if filters.vendor:
        rows = rows.filter(vendor_name=filters.vendor)
    if insider and filters.health:
        rows = rows.filter(health=filters.health)
    if insider and filters.owner:
        rows = rows.filter(created_by_id=filters.owner)
    return rows


def overdue_gate(today: date) -> Q:
    """An open engagement whose next gate's due date has passed."""
    return Q(status__in=OPEN, next_gate_due__lt=today)


def ordered(rows, filters: Filters, today: date, *, insider: bool):
    """Newest first, or by urgency: overdue gates first (the most overdue first), then red,
    then amber (insiders: the stored health), then the rest still running or planned, newest
    first; stopped and completed engagements last — they need no more steering."""
    newest = ("-created_at", "-id")
    if filters.sort == "newest":
        return rows.order_by(*newest)
    then = [When(status__in=CLOSED, then=Value(4))]
    if insider:
        then += [When(health="red", then=Value(1)), When(health="amber", then=Value(2))]
    urgency = Case(
        When(overdue_gate(today), then=Value(0)),
        *then,
        default=Value(3),
        output_field=IntegerField(),
    )
    return rows.order_by(urgency, F("next_gate_due").asc(nulls_last=True), *newest)


def page_rows(rows, *, insider: bool):
    """What a row shows, and nothing else: the long text fields stay in the database."""
    fields = ["id", "title", "vendor_name", "status", "start_date", "currency", "created_at"]
    # Stored by the refresh (`health.stored_figures`): no per-row subquery, no readings query.
    fields += ["next_gate_due", "current_phase_number", "kpi_trend"]
    if insider:
        fields += ["health", "health_reason", "risk_titles", "spent_to_date", "budget_approved"]
        fields += ["created_by_id"]  # named from `filter_choices`' owners: no join
    return rows.only(*fields)


# --- The summary strip ---------------------------------------------------------------------


@dataclass(frozen=True)
class Money:
    currency: str
    spent: Decimal
    approved: Decimal

    @property
    def percent(self) -> int | None:
        return burn_percent(self.spent, self.approved)

    @property
    def spent_text(self) -> str:
        return money_text(self.spent, self.currency)

    @property
    def approved_text(self) -> str:
        return money_text(self.approved, self.currency)


@dataclass(frozen=True)
class Summary:
    """The filtered set at a glance."""

    total: int
    gates_due: int  # open engagements whose next gate is due within DUE_SOON_DAYS (or overdue)
    overdue: int
    by_health: dict[str, int] = field(default_factory=dict)  # insiders only
    unassessed: int = 0  # insiders: rows the radar has not stored a health for yet
    money: list[Money] = field(default_factory=list)  # insiders, one per currency


def summarise(rows, today: date, *, insider: bool) -> Summary:
    """One grouped query over stored columns (by currency, since money in two currencies
    does not add up)."""
    due_soon = Q(status__in=OPEN, next_gate_due__lte=today + timedelta(days=DUE_SOON_DAYS))
    counts = {
        "n": Count("id"),
        "due": Count("id", filter=due_soon),
        "overdue": Count("id", filter=overdue_gate(today)),
    }
    if insider:
        counts |= {colour: Count("id", filter=Q(health=colour)) for colour in HEALTHS}
        counts |= {"spent": Sum("spent_to_date"), "approved": Sum("budget_approved")}
    groups = list(rows.order_by().values("currency").annotate(**counts).order_by("currency"))
    total = sum(g["n"] for g in groups)
    summary = Summary(
        total=total,
        gates_due=sum(g["due"] for g in groups),
        overdue=sum(g["overdue"] for g in groups),
    )
    if not insider:
        return summary
    by_health = {colour: sum(g[colour] for g in groups) for colour in HEALTHS}
    money = [
        Money(g["currency"], g["spent"] or Decimal(0), g["approved"] or Decimal(0)) for g in groups
    ]
    return Summary(
        summary.total,
        summary.gates_due,
        summary.overdue,
        by_health,
        total - sum(by_health.values()),
        money,
    )


# --- Rows ----------------------------------------------------------------------------------


def gate_text(status: str, phase_number: int | None, due: date | None, today: date) -> str:
    """ "Gate 2 · due 3 Mar 2026", "Gate 1 · overdue since …", or "" (no gate ahead)."""
    if status in CLOSED or phase_number is None or due is None:
        return ""
    when = f"{due:%-d %b %Y}"
    return f"Gate {phase_number} · " + (f"overdue since {when}" if due < today else f"due {when}")


def phase_text(status: str, phase_number: int | None, start: date) -> str:
    """ "2. Development & Iteration", "… · on hold", "Starts 3 Mar 2026", "Completed"."""
    if status == EngagementStatus.PLANNED:
        return f"Starts {start:%-d %b %Y}"
    if status in CLOSED:
        return EngagementStatus(status).label
    if phase_number not in PHASES:
        return "—"
    text = f"{phase_number}. {PHASES[phase_number][0]}"
    return text + " · on hold" if status == EngagementStatus.ON_HOLD else text


def burn_percent(spent: Decimal, approved: Decimal) -> int | None:
    return round(spent * 100 / approved) if approved else None


def display_name(first: str, last: str, email: str, username: str = "") -> str:
    """As the `person` filter shows people: full name, else e-mail, else username."""
    return f"{first} {last}".strip() or email or username


@dataclass(frozen=True)
class Choices:
    """The filters' choices over the engagements a member sees, and what the page must put
    right before it reads them (both usually nothing)."""

    vendors: list[str]
    owners: list[tuple[int, str]]  # insiders: (user id, name), by name; also the Owner column
    due_to_start: bool = False  # any Planned engagement whose start date has come
    unassessed: bool = False  # any row the refresh has not stored a health for yet


def filter_choices(engagements, today: date, *, insider: bool) -> Choices:
    """Vendor names, and for insiders the owners as (id, name), of the engagements the member
    sees — one query of distinct (vendor, owner) pairs, which also tells whether any row is
    due to start or was never refreshed, so the page's housekeeping costs no query of its own
    when there is none to do (`views.portfolio`)."""
    fields = ["vendor_name"]
    if insider:
        fields += [
            "created_by_id",
            "created_by__first_name",
            "created_by__last_name",
            "created_by__email",
            "created_by__username",
        ]
    # DISTINCT over two flags rather than GROUP BY with counts: SQLite does it in half the
    # time (the rows repeat a (vendor, owner) pair at most four times).
    due = Q(status=EngagementStatus.PLANNED, start_date__lte=today)
    pairs = (
        engagements.order_by()
        .annotate(
            due=ExpressionWrapper(due, output_field=BooleanField()),
            unassessed=ExpressionWrapper(
                Q(health_refreshed_at__isnull=True), output_field=BooleanField()
            ),
        )
        .values_list(*fields, "due", "unassessed")
        .distinct()
    )
    vendors, owners, any_due, any_unassessed = set(), {}, False, False
    for *row, due_here, unassessed_here in pairs:
        any_due, any_unassessed = any_due or due_here, any_unassessed or unassessed_here
        if row[0]:
            vendors.add(row[0])
        if insider and row[1] is not None:
            owners[row[1]] = display_name(*row[2:])
    return Choices(
        sorted(vendors, key=str.casefold),
        sorted(owners.items(), key=lambda owner: owner[1].casefold()),
        bool(any_due),
        bool(any_unassessed),
    )


def filters_from(data: Mapping[str, object]) -> Filters:
    """Filters from validated form data (`PortfolioFilterForm.cleaned_data`)."""
    owner = data.get("owner")
    return Filters(
        phase=str(data.get("phase") or ""),
        health=str(data.get("health") or ""),
        vendor=str(data.get("vendor") or ""),
        owner=int(owner) if owner else None,
        sort=str(data.get("sort") or "urgency"),
    )
