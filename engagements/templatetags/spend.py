"""`{% load spend %}{% spend_panel engagement %}`: the engagement page's money and
change-request panel. Insiders see budget approved, spent and forecast (with a bar chart),
and the change requests with their money; vendor contacts see the change requests of their
engagement without any money. Two queries for insiders, one for vendor contacts, whatever
the number of invoices and change requests."""

from __future__ import annotations

from django import template
from django.db.models import Sum

from accounts.tenancy import may_read_internal

from ..models import ChangeRequest, Engagement, Invoice
from ..money import FORECAST_HELP, money_summary

register = template.Library()


def may_see_money(membership) -> bool:
    """Invoices and the budget figures: insiders only (vendor contacts never)."""
    return bool(
        membership
        and membership.can("spend.view")
        and may_read_internal(membership, Engagement)
        and may_read_internal(membership, ChangeRequest)
    )


@register.inclusion_tag("engagements/spend/_panel.html", takes_context=True)
def spend_panel(context, engagement: Engagement) -> dict:
    request = context["request"]
    membership = request.membership
    changes = list(
        ChangeRequest.objects.restrict(membership)
        .filter(engagement=engagement)
        .select_related("requested_by")
    )
    spent_by_phase = dict(
        Invoice.objects.restrict(membership)
        .filter(engagement=engagement)
        .order_by()
        .values("phase_id")
        .annotate(total=Sum("amount"))
        .values_list("phase_id", "total")
    )
    figures = money_summary(
        engagement,
        engagement.phase_list,
        spent_by_phase,
        changes,
        with_money=may_see_money(membership),
        today=context["today"],
    )
    return {
        "engagement": engagement,
        "figures": figures,
        "open_changes": [c for c in changes if c.is_open],
        "forecast_help": FORECAST_HELP,
        "can": context.get("can", {}),
    }
