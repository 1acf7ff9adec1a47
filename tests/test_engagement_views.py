from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from accounts.roles import Role
from engagements.models import Engagement, GateDecision, Kpi, Outcome, Phase

from .conftest import decide, make_engagement, make_member

HOSTILE = "<script>alert('x')</script> Ünïcødé ‮RTL‬ 🤖"


def create_payload(**overrides):
    data = {
        "title": "Invoice extraction",
        "business_problem": "Finance re-keys invoices.",
        "outsourcing_reason": "Niche expertise.",
        "vendor_name": "Tessellate AI",
        "budget": "300000",
        "currency": "USD",
        "start_date": "2026-02-02",
        "poc_weeks": "8",
        "development_weeks": "16",
        "kpis-TOTAL_FORMS": "1",
        "kpis-INITIAL_FORMS": "0",
        "kpis-MIN_NUM_FORMS": "1",
        "kpis-MAX_NUM_FORMS": "20",
        "kpis-0-kind": "technical",
        "kpis-0-name": "Field-level F1",
        "kpis-0-unit": "",
        "kpis-0-baseline": "0.6",
        "kpis-0-target": "0.92",
        "kpis-0-higher_is_better": "on",
    }
    return data | overrides


def test_owner_creates_an_engagement_with_its_phases_gates_and_kpis(client_for, owner, org):
    response = client_for(owner).post(reverse("engagements:create"), create_payload())
    engagement = Engagement.objects.get(title="Invoice extraction")
    assert response.status_code == 302
    assert response.url == reverse("engagements:detail", args=[engagement.pk])
    assert engagement.organisation == org and engagement.created_by == owner
    assert engagement.phases.count() == 3 and engagement.gates.count() == 3
    assert engagement.kpis.get().target == Decimal("0.92")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "   ", "Give the engagement a title."),
        ("budget", "-5", "The budget cannot be negative."),
        ("kpis-0-target", "lots", "The target must be a number"),
        ("start_date", "2026-02-31", "Enter a valid date."),
        ("poc_weeks", "0", "greater than or equal to 1"),
    ],
)
def test_bad_input_is_refused_beside_the_field_and_nothing_is_written(
    client_for, owner, field, value, message
):
    response = client_for(owner).post(
        reverse("engagements:create"), create_payload(**{field: value})
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert (
        not Engagement.objects.exists() and not Phase.objects.exists() and not Kpi.objects.exists()
    )


def test_a_plan_that_breaks_the_guide_warns_on_the_engagement_page(client_for, owner):
    client = client_for(owner)
    client.post(reverse("engagements:create"), create_payload(poc_weeks="14"))
    engagement = Engagement.objects.get()
    page = client.get(reverse("engagements:detail", args=[engagement.pk])).content.decode()
    assert "Discovery &amp; PoC is planned for 14 weeks" in page


def test_hostile_text_is_stored_and_shown_escaped(client_for, owner):
    client = client_for(owner)
    long_problem = "x" * 4999
    client.post(
        reverse("engagements:create"),
        create_payload(title=HOSTILE, business_problem=long_problem, **{"kpis-0-name": HOSTILE}),
    )
    engagement = Engagement.objects.get()
    assert engagement.title == HOSTILE
    for url in (
        reverse("engagements:detail", args=[engagement.pk]),
        reverse("engagements:portfolio"),
    ):
        page = client.get(url).content.decode()
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Ünïcødé" in page


def test_a_20000_character_title_is_refused_with_a_message(client_for, owner):
    response = client_for(owner).post(
        reverse("engagements:create"), create_payload(title="y" * 20000)
    )
    assert response.status_code == 422
    assert "at most 200 characters" in response.content.decode()


def edit_payload(engagement, **overrides):
    """The edit form as the browser posts it: engagement fields, its KPI and its phases."""
    kpi = engagement.kpis.get()
    data = create_payload() | {
        "kpis-TOTAL_FORMS": "1",
        "kpis-INITIAL_FORMS": "1",
        "kpis-0-id": str(kpi.pk),
        "kpis-0-engagement": str(engagement.pk),
        "phases-TOTAL_FORMS": "3",
        "phases-INITIAL_FORMS": "3",
    }
    for i, phase in enumerate(engagement.phases.order_by("number")):
        data |= {
            f"phases-{i}-id": str(phase.pk),
            f"phases-{i}-billing_model": phase.billing_model,
            f"phases-{i}-planned_start": phase.planned_start.isoformat(),
            f"phases-{i}-planned_end": phase.planned_end.isoformat(),
        }
    return data | overrides


def test_owner_edits_the_engagement_and_its_kpis(client_for, owner, engagement):
    data = edit_payload(engagement, title="Renamed", budget="275000")
    response = client_for(owner).post(reverse("engagements:edit", args=[engagement.pk]), data)
    assert response.status_code == 302
    engagement.refresh_from_db()
    assert engagement.title == "Renamed" and engagement.budget == 275000
    assert engagement.kpis.get().name == "Field-level F1"


def test_fixed_price_discovery_and_a_short_handover_warn_after_editing_the_plan(
    client_for, owner, engagement
):
    client = client_for(owner)
    handover = engagement.phases.get(number=3)
    data = edit_payload(
        engagement,
        **{
            "phases-0-billing_model": "fixed_price",
            "phases-2-planned_end": (handover.planned_start + timedelta(weeks=2)).isoformat(),
        },
    )
    assert client.post(reverse("engagements:edit", args=[engagement.pk]), data).status_code == 302
    page = client.get(reverse("engagements:detail", args=[engagement.pk])).content.decode()
    assert "billed at a fixed price" in page
    assert "Transition &amp; Handover is planned for 2 weeks" in page
    assert "Fixed price" in page  # the billing model is shown per phase


def test_a_started_phase_cannot_be_redated_by_editing(client_for, admin, engagement):
    poc = engagement.phases.get(number=1)
    data = edit_payload(engagement, **{"phases-0-planned_end": "2026-12-31"})
    response = client_for(admin).post(reverse("engagements:edit", args=[engagement.pk]), data)
    assert response.status_code == 302
    poc.refresh_from_db()
    assert poc.planned_end == date(2026, 3, 2)  # only Recycle at the gate moves it


def test_the_plan_must_be_posted_whole(client_for, owner, engagement):
    data = edit_payload(engagement, **{"phases-TOTAL_FORMS": "1"})
    response = client_for(owner).post(reverse("engagements:edit", args=[engagement.pk]), data)
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"phases-2-planned_end": "2026-01-01"}, "The end date must be after the start date."),
        ({"phases-1-planned_start": "2026-02-01"}, "Phase 2 starts before phase 1 ends"),
        ({"phases-2-billing_model": "barter"}, "Select a valid choice"),
        # A crafted post naming one phase twice with other dates: refused, not a 500.
        (
            {"phases-1-id": "FIRST", "phases-1-planned_start": "2027-01-01"},
            "These phases do not match the engagement",
        ),
    ],
)
def test_a_broken_phase_plan_is_refused_and_nothing_changes(
    client_for, owner, engagement, overrides, message
):
    before = list(engagement.phases.values_list("planned_start", "planned_end", "billing_model"))
    first = str(engagement.phases.get(number=1).pk)
    overrides = {key: first if value == "FIRST" else value for key, value in overrides.items()}
    data = edit_payload(engagement, title="Should not stick", **overrides)
    response = client_for(owner).post(reverse("engagements:edit", args=[engagement.pk]), data)
    assert response.status_code == 422
    assert message in response.content.decode()
    engagement.refresh_from_db()
    assert engagement.title == "Support ticket triage"
    after = list(engagement.phases.values_list("planned_start", "planned_end", "billing_model"))
    assert after == before


def test_phases_of_another_engagement_cannot_be_edited_through_this_one(
    client_for, owner, org, engagement
):
    other = make_engagement(org, owner, title="Other")
    foreign = other.phases.get(number=1)
    data = edit_payload(engagement, **{"phases-0-id": str(foreign.pk)})
    response = client_for(owner).post(reverse("engagements:edit", args=[engagement.pk]), data)
    assert response.status_code == 422
    foreign.refresh_from_db()
    assert foreign.engagement == other


def test_detail_shows_the_timeline_gates_and_decision_form(client_for, owner, engagement):
    page = (
        client_for(owner).get(reverse("engagements:detail", args=[engagement.pk])).content.decode()
    )
    assert '<svg class="timeline"' in page
    assert page.count('class="card gate') == 3
    assert "Record the decision" in page
    assert 'hx-post="/engagements/' in page


def test_board_member_sees_the_engagement_but_no_decision_form(client_for, board, engagement):
    page = (
        client_for(board).get(reverse("engagements:detail", args=[engagement.pk])).content.decode()
    )
    assert engagement.title in page and "Record the decision" not in page


def decision_payload(**overrides):
    # Not about evidence: the override a Go over unmet must-meet criteria needs (issue 8).
    return {
        "outcome": "go",
        "decided_on": "2026-03-02",
        "rationale": "Baseline F1 0.81.",
        "override_reason": "Decided in a test without evidence.",
    } | overrides


def test_go_through_htmx_swaps_the_body_and_opens_development(client_for, owner, engagement):
    url = reverse("engagements:decide", args=[engagement.pk, 1])
    response = client_for(owner).post(url, decision_payload(), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body  # a partial, not the page
    assert "Recorded Go at gate 1." in body
    assert engagement.phases.get(number=2).status == "active"
    assert "HX-Request" in response["Vary"]


def test_go_without_javascript_redirects_back(client_for, owner, engagement):
    url = reverse("engagements:decide", args=[engagement.pk, 1])
    response = client_for(owner).post(url, decision_payload())
    assert response.status_code == 302
    assert GateDecision.objects.get().decided_by == owner


def test_deciding_gate_two_first_shows_a_clear_message(client_for, owner, engagement):
    url = reverse("engagements:decide", args=[engagement.pk, 2])
    response = client_for(owner).post(url, decision_payload())
    assert response.status_code == 409  # that gate is not open: a conflict, not a typo
    assert "decide gate 1 first" in response.content.decode()
    assert not GateDecision.objects.exists()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"rationale": "  "}, "Say why"),
        ({"outcome": "maybe"}, "Select a valid choice"),
        ({"outcome": "recycle"}, "give its new end date"),
        ({"outcome": "recycle", "new_end_date": "2026-03-01"}, "must be after the decision date"),
        ({"decided_on": "yesterday"}, "Enter a valid date"),
    ],
)
def test_invalid_decisions_get_a_message_and_write_nothing(
    client_for, owner, engagement, payload, message
):
    url = reverse("engagements:decide", args=[engagement.pk, 1])
    response = client_for(owner).post(url, decision_payload(**payload), HTTP_HX_REQUEST="true")
    # htmx gets 200 and swaps the form with its errors in place (no console error).
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert message in response.content.decode()
    assert not GateDecision.objects.exists()


def test_unknown_gate_number_is_404(client_for, owner, engagement):
    url = reverse("engagements:decide", args=[engagement.pk, 7])
    assert client_for(owner).post(url, decision_payload()).status_code == 404


def test_portfolio_lists_phase_next_gate_and_health(client_for, owner, engagement):
    page = client_for(owner).get(reverse("engagements:portfolio")).content.decode()
    assert engagement.title in page
    assert "1. Discovery &amp; PoC" in page
    assert '<strong class="overdue">Gate 1 · overdue since' in page


# The portfolio's query count, at 10 and 1,000 engagements: tests/test_portfolio.py.


def test_detail_runs_the_same_queries_whatever_it_shows(
    client_for, owner, org, engagement, django_assert_num_queries
):
    client = client_for(owner)
    url = reverse("engagements:detail", args=[engagement.pk])
    ContentType.objects.clear_cache()  # counted both times, not cached by an earlier test
    with django_assert_num_queries(DETAIL_QUERIES):
        client.get(url)
    # More of everything the page lists: KPIs, decisions, vendor contacts.
    for i in range(6):
        Kpi.objects.create(engagement=engagement, name=f"KPI {i}", target=1)
    decide(engagement, 1, Outcome.HOLD, owner, on=date(2026, 2, 20))
    decide(engagement, 1, Outcome.GO, owner, on=date(2026, 3, 2))
    for i in range(3):
        contact = make_member(org, Role.VENDOR, email=f"v{i}@northwind.test")
        engagement.vendor_contacts.add(contact.memberships.get())
    ContentType.objects.clear_cache()
    with django_assert_num_queries(DETAIL_QUERIES):
        client.get(url)


# session, user, memberships, due-to-start check, engagement, phases, gates, decisions (with
# their deciders), KPIs, vendor contacts (with users), the gates' content type (cached after
# the first request in a process) and their latest report jobs; the money & change-request
# panel: change requests (with requesters), invoice totals per phase; the weekly-reports panel:
# current reports (with whether each has metrics or experiments), their metrics; milestones
# (with their owners, prefetched by with_plan), handover-checklist progress (one grouped query).
# Issue 8: the facts (technical KPIs, checklist items, change requests, reports, milestones,
# open conditions, the last baseline, invoice totals) and the risk settings, read once for the
# health, the radar, the next gate's readiness and the baseline panel; the engagement's
# conditions; the next gate's criteria, gatekeepers and votes; the people a condition may be
# assigned to (the decision form's owner select).
DETAIL_QUERIES = 32


def test_vendor_contact_sees_only_assigned_engagements(client_for, org, owner):
    vendor_user = make_member(org, Role.VENDOR, "vendor@northwind.test")
    mine = make_engagement(org, owner, title="Assigned to vendor")
    make_engagement(org, owner, title="Not for the vendor")
    mine.vendor_contacts.add(vendor_user.memberships.get())
    client = client_for(vendor_user)
    page = client.get(reverse("engagements:portfolio")).content.decode()
    assert "Assigned to vendor" in page and "Not for the vendor" not in page
    other = Engagement.objects.get(title="Not for the vendor")
    assert client.get(reverse("engagements:detail", args=[other.pk])).status_code == 404


@pytest.mark.parametrize("day", ["9999-12-01", "1899-01-01"])
def test_dates_far_outside_any_plan_are_refused_not_a_500(client_for, owner, day):
    response = client_for(owner).post(reverse("engagements:create"), create_payload(start_date=day))
    assert response.status_code == 422
    assert "Enter a date" in response.content.decode()
    assert not Engagement.objects.exists()


def test_vendor_contacts_do_not_see_budget_reasons_or_deliberations(client_for, org, owner):
    vendor_user = make_member(org, Role.VENDOR, "lead@northwind.test")
    engagement = make_engagement(org, owner, outsourcing_reason="Our ML hiring stalled.")
    engagement.vendor_contacts.add(vendor_user.memberships.get())
    decide(engagement, 1, "hold", owner, rationale="Vendor team keeps rotating.")
    client = client_for(vendor_user)
    detail = client.get(reverse("engagements:detail", args=[engagement.pk])).content.decode()
    portfolio = client.get(reverse("engagements:portfolio")).content.decode()
    assert "Hold" in detail  # the outcome is shared …
    for secret in ("$250,000", "Our ML hiring stalled.", "Vendor team keeps rotating."):
        assert secret not in detail and secret not in portfolio  # … the deliberations are not
    owner_page = client_for(owner).get(reverse("engagements:detail", args=[engagement.pk]))
    assert "Vendor team keeps rotating." in owner_page.content.decode()
