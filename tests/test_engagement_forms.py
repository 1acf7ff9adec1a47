"""The engagement forms read as people expect: money with separators, KPI rows that can be added
without JavaScript, figures as typed, and a KPI whose target is worse than its baseline."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from engagements.models import Engagement, Kpi

from .test_engagement_views import create_payload


def test_money_is_typed_and_shown_with_thousands_separators(client_for, owner):
    response = client_for(owner).post(
        reverse("engagements:create"), create_payload(budget="$1,250,000")
    )
    assert response.status_code == 302
    engagement = Engagement.objects.get()
    assert engagement.budget == Decimal("1250000")
    form = client_for(owner).get(reverse("engagements:edit", args=[engagement.pk]))
    assert 'value="1,250,000"' in form.content.decode()


def test_the_kpi_rows_read_as_people_expect(client_for, owner):
    page = client_for(owner).get(reverse("engagements:create")).content.decode()
    assert "DELETE" not in page  # nothing to delete on rows not saved yet
    payload = create_payload(**{"kpis-TOTAL_FORMS": "0"})
    refused = client_for(owner).post(reverse("engagements:create"), payload).content.decode()
    assert "Please submit at least" not in refused and "Add at least one KPI" in refused


def test_add_another_kpi_works_without_javascript(client_for, owner):
    payload = create_payload(title="Typed so far", add_kpi="1")
    response = client_for(owner).post(reverse("engagements:create"), payload)
    body = response.content.decode()
    assert response.status_code == 200 and not Engagement.objects.exists()
    assert 'value="Typed so far"' in body and 'name="kpis-1-name"' in body
    assert 'class="error"' not in body  # nothing judged yet


def test_a_kpi_target_worse_than_its_baseline_warns(client_for, owner, engagement):
    Kpi.objects.filter(engagement=engagement).update(baseline=1200, target=1500)  # should fall
    engagement.kpis.update(higher_is_better=False)
    page = client_for(owner).get(reverse("engagements:detail", args=[engagement.pk]))
    assert "the target is worse than the baseline" in page.content.decode()


def test_kpi_figures_are_shown_as_typed_on_the_edit_form(client_for, owner, engagement):
    engagement.kpis.update(baseline=Decimal("0.1200"), target=Decimal("1200"))
    page = client_for(owner).get(reverse("engagements:edit", args=[engagement.pk]))
    body = page.content.decode()
    assert 'value="0.12"' in body and 'value="1200"' in body and "0.1200" not in body
