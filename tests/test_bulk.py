"""handover/bulk.py: saving a few fields of many rows, and inserting rows, in one batched
statement each — values prepared by their fields, nothing else touched."""

from __future__ import annotations

from decimal import Decimal

from engagements.models import ChecklistItem, Engagement
from handover.bulk import insert_rows, update_fields

from .conftest import make_engagement


def test_update_fields_saves_only_the_named_fields(org, owner):
    first = make_engagement(org, owner, title="First")
    second = make_engagement(org, owner, title="Second")
    for engagement, spent in ((first, "12.50"), (second, "0.01")):
        engagement.spent_to_date = Decimal(spent)
        engagement.kpi_trend = {"kpi": "F1", "points": [[2026, 9, "0.81"]]}
        engagement.title = "Not saved"
    assert update_fields([first, second], ["spent_to_date", "kpi_trend"]) == 2
    stored = {e.pk: e for e in Engagement.objects.all()}
    assert stored[first.pk].spent_to_date == Decimal("12.50")
    assert stored[second.pk].kpi_trend["points"] == [[2026, 9, "0.81"]]
    assert {e.title for e in stored.values()} == {"First", "Second"}
    assert update_fields([], ["health"]) == 0


def test_insert_rows_fills_defaults_and_writes_every_row(engagement):
    before = ChecklistItem.objects.count()
    rows = [
        ChecklistItem(engagement_id=engagement.pk, checklist="mlops", title=f"Item <{n}>")
        for n in range(3)
    ]
    assert insert_rows(rows) == 3
    added = ChecklistItem.objects.filter(title__startswith="Item <").order_by("id")
    assert ChecklistItem.objects.count() == before + 3
    assert [item.status for item in added] == ["open"] * 3  # the field's default
    assert all(item.updated_at is not None for item in added)  # auto_now filled
    assert rows[0].pk is None  # no primary keys set: nothing reads them back
    assert insert_rows([]) == 0
