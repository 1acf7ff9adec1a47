"""Display filters: money, KPI figures, and dict lookups in templates."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


@register.filter
def money(amount: Decimal | None, currency: str = "USD") -> str:
    """`250000.00` → `$250,000`: whole units with thousands separators."""
    if amount is None:
        return "—"
    return f"{SYMBOLS.get(currency, currency + ' ')}{amount:,.0f}"


@register.filter
def number(value: Decimal | None) -> str:
    """A KPI figure without trailing zeros: 0.8500 → 0.85, 1200.0000 → 1,200."""
    if value is None:
        return "—"
    normalised = value.normalize()
    if normalised == normalised.to_integral():
        return f"{normalised:,.0f}"
    return f"{normalised:,f}"


@register.filter
def get_item(mapping: dict, key):
    """`mapping|get_item:key` — a dict lookup with a variable key."""
    return mapping.get(key)
