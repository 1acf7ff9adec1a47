"""Marking a condition done from the conditions page (QA findings on issue 8): with htmx the
list is swapped in place, so a refused post leaves the address on the conditions page; a GET
of the post's address goes back to that page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from engagements.models import GateCondition

from .test_conditional_go import conditional_go, done_url

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_form_posts_with_htmx_and_swaps_the_list(client_for, engagement, owner):
    conditional_go(engagement, owner)
    condition = GateCondition.objects.get()
    page = client_for(owner).get(reverse("engagements:conditions", args=[engagement.pk]))
    html = page.content.decode()
    assert (
        '<section class="card" aria-labelledby="conditions-heading" id="conditions-list">' in html
    )
    assert f'hx-post="{done_url(condition)}" hx-target="#conditions-list" hx-swap="outerHTML"' in (
        html
    )


def test_an_empty_note_answers_htmx_with_the_list_and_the_error(client_for, engagement, owner):
    conditional_go(engagement, owner)
    condition = GateCondition.objects.get()
    response = client_for(owner).post(done_url(condition), {f"c{condition.pk}-note": ""}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card"')  # the list, not a page
    assert "<h1>" not in html
    assert "Say how the condition was met: it is part of the record." in html
    assert GateCondition.objects.get().is_open


def test_marking_done_with_htmx_swaps_the_list_and_says_so(client_for, engagement, owner):
    conditional_go(engagement, owner)
    condition = GateCondition.objects.get()
    response = client_for(owner).post(
        done_url(condition), {f"c{condition.pk}-note": "Refreshed on 2 April."}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Refreshed on 2 April." in html and "Done on" in html
    assert "Condition “Refresh the hold-out set” marked done." in html  # out-of-band message
    assert not GateCondition.objects.get().is_open


def test_a_plain_post_still_answers_422_and_redirects_when_done(client_for, engagement, owner):
    conditional_go(engagement, owner)
    condition = GateCondition.objects.get()
    client = client_for(owner)
    refused = client.post(done_url(condition), {f"c{condition.pk}-note": ""})
    assert refused.status_code == 422 and "<h1>Conditions of Conditional Go</h1>" in (
        refused.content.decode()
    )
    done = client.post(done_url(condition), {f"c{condition.pk}-note": "Done."})
    assert done.status_code == 302
    assert done["Location"] == reverse("engagements:conditions", args=[engagement.pk])


def test_a_get_of_the_done_address_goes_back_to_the_conditions_page(
    client_for, engagement, owner, outsider
):
    conditional_go(engagement, owner)
    condition = GateCondition.objects.get()
    response = client_for(owner).get(done_url(condition))
    assert response.status_code == 302
    assert response["Location"] == reverse("engagements:conditions", args=[engagement.pk])
    assert GateCondition.objects.get().is_open
    assert client_for(outsider).get(done_url(condition)).status_code == 404
