"""The portfolio dashboard: every engagement the member may see, filtered, sorted by urgency,
50 a page, under a summary strip. htmx swaps the results when a filter changes; without
JavaScript the same GET form reloads the page."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils import timezone
from django.utils.functional import cached_property

from accounts.access import member_required
from handover.htmx import render_page

from ..actions import start_due_engagements
from ..forms.portfolio import PortfolioFilterForm
from ..models import Engagement
from ..portfolio import (
    PAGE_SIZE,
    filter_choices,
    filtered,
    ordered,
    page_rows,
    refresh_unassessed,
    summarise,
)
from ..portfolio_rows import build_rows


class _CountedPaginator(Paginator):
    """A paginator told the count the summary query already made (one query fewer)."""

    def __init__(self, object_list, per_page, *, count: int):
        super().__init__(object_list, per_page)
        self._known = count

    @cached_property
    def count(self) -> int:
        return self._known


@member_required("engagement.view")
def portfolio(request):
    """The portfolio; `?phase=&health=&vendor=&owner=&sort=&page=` (see `PortfolioFilterForm`)."""
    today = timezone.localdate()
    membership = request.membership
    insider = membership.can("engagement.view_internal")
    visible = Engagement.objects.restrict(membership)
    choices = filter_choices(visible, today, insider=insider)
    # Housekeeping the choices' query counted (usually nothing to do, so no query more):
    # engagements due to start, then rows never refreshed.
    if choices.due_to_start:
        start_due_engagements(today, request.organisation.pk)
    if choices.unassessed:
        refresh_unassessed(visible, today)
    form = PortfolioFilterForm(
        request.GET, vendors=choices.vendors, owners=choices.owners, insider=insider
    )
    filters = form.filters()
    rows = filtered(visible, filters, insider=insider)
    summary = summarise(rows, today, insider=insider)
    paginator = _CountedPaginator(
        page_rows(ordered(rows, filters, today, insider=insider), insider=insider),
        PAGE_SIZE,
        count=summary.total,
    )
    page = paginator.get_page(request.GET.get("page"))
    engagements = list(page.object_list)
    pager = {
        "previous": filters.query(page.previous_page_number()) if page.has_previous() else "",
        "next": filters.query(page.next_page_number()) if page.has_next() else "",
    }
    context = {
        "form": form,
        "filter_errors": form.error_lines(),
        "filters": filters,
        "pager": pager,
        "summary": summary,
        "page": page,
        "rows": build_rows(engagements, today, insider=insider, owners=dict(choices.owners)),
        "insider": insider,
        "today": today,
    }
    return render_page(request, "engagements/portfolio.html", context, partial="results")
