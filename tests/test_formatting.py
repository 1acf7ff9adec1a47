"""How money reads: separators always, cents only when there are some."""

from decimal import Decimal

from engagements.templatetags.formatting import money


def test_money_shows_cents_only_when_there_are_some():
    assert money(Decimal("250000.00")) == "$250,000"
    assert money(Decimal("12500.50"), "EUR") == "€12,500.50"
    assert money(None) == "—"
