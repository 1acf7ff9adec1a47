"""Display filters: money, KPI figures, and dict lookups in templates."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


@register.filter
def money(amount: Decimal | None, currency: str = "USD") -> str:
    """`250000.00` → `$250,000`, `12500.50` → `$12,500.50`: thousands separators, and cents
    only when there are some (an invoice's figures must add up to the cent)."""
    if amount is None:
        return "—"
    amount = Decimal(amount)
    places = ".0f" if amount == amount.to_integral_value() else ".2f"
    return f"{SYMBOLS.get(currency, currency + ' ')}{amount:,{places}}"


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
