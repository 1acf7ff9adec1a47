"""The gate flow under stale tabs and races, and the states around it: an engagement that has
not started yet, one stopped by a No-Go, plans whose dates would run out of bounds."""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from engagements.actions import start_due_engagements
from engagements.charts import phase_timeline
from engagements.gates import GateError
from engagements.models import Engagement, EngagementStatus, GateDecision, Outcome, PhaseStatus

from .conftest import decide, make_engagement, make_member
from .test_engagement_views import create_payload, decision_payload, edit_payload


def statuses(engagement):
    return [p.status for p in engagement.phases.order_by("number")]


def decide_url(engagement, number):
    return reverse("engagements:decide", args=[engagement.pk, number])


# --- 1. a stale tab ---------------------------------------------------------------------


def test_a_stale_tab_is_told_what_changed_and_nothing_moves_to_the_next_gate(
    client_for, owner, engagement
):
    owner.first_name, owner.last_name = "Olivia", "Owens"
    owner.save()
    decide(engagement, 1, Outcome.GO, owner, on=date(2026, 3, 2))
    decide(engagement, 2, Outcome.GO, owner, on=date(2026, 6, 1))  # tab A
    # Tab B still shows gate 2 and posts No-Go for it.
    stale = decision_payload(outcome="no_go", rationale="Stale tab says stop.")
    response = client_for(owner).post(decide_url(engagement, 2), stale, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200  # htmx swaps only 2xx: the reason rides in the fragment
    card_2 = body[body.index('id="gate-2"') : body.index('id="gate-3"')]
    assert "Gate 2 was already decided: Go on 1 Jun 2026 by Olivia Owens" in card_2
    assert "reload the page" in card_2
    card_3 = body[body.index('id="gate-3"') :]
    assert "Stale tab says stop." not in card_3 and "checked" not in card_3
    assert GateDecision.objects.filter(gate__number=3).count() == 0
    # Without htmx the same post is a 409 with the same message on the page.
    plain = client_for(owner).post(decide_url(engagement, 2), stale)
    assert plain.status_code == 409 and "was already decided" in plain.content.decode()


def test_a_tab_opened_before_a_hold_is_told_of_it_and_records_nothing(
    client_for, owner, engagement
):
    """Gate 1 is not closed by a Hold, so the gate is still open: the round the page showed
    (no decision yet) is what makes tab A's Conditional Go stale."""
    client = client_for(owner)
    page = client.get(reverse("engagements:detail", args=[engagement.pk])).content.decode()
    assert re.search(r'name="expected_round" value="0"', page)
    decide(engagement, 1, Outcome.HOLD, owner, on=date(2026, 3, 2))  # tab B
    tab_a = decision_payload(outcome="go", expected_round="0", rationale="Tab A says go.")
    response = client.post(decide_url(engagement, 1), tab_a)
    assert response.status_code == 409
    body = response.content.decode()
    assert "While this page was open, gate 1 was decided: Hold on 2 Mar 2026" in body
    assert GateDecision.objects.filter(gate__engagement=engagement).count() == 1
    htmx = client.post(decide_url(engagement, 1), tab_a, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200 and "While this page was open" in htmx.content.decode()
    # The refreshed page carries the new round, and deciding from it works.
    response = client.post(decide_url(engagement, 1), tab_a | {"expected_round": "1"})
    assert response.status_code == 302
    assert engagement.gates.get(number=1).decisions.count() == 2


def test_a_round_from_the_future_is_refused(client_for, owner, engagement):
    response = client_for(owner).post(
        decide_url(engagement, 1), decision_payload(expected_round="5")
    )
    assert response.status_code == 409
    assert "does not match the gate" in response.content.decode()
    assert not GateDecision.objects.filter(gate__engagement=engagement).exists()


def test_a_decision_after_the_engagement_stopped_says_why(client_for, owner, engagement):
    decide(engagement, 1, Outcome.NO_GO, owner)
    response = client_for(owner).post(decide_url(engagement, 1), decision_payload())
    assert response.status_code == 409
    assert "This engagement is stopped" in response.content.decode()


def test_a_kpi_deleted_meanwhile_is_named_on_the_form(client_for, owner, engagement):
    data = edit_payload(engagement, title="Renamed")
    engagement.kpis.all().delete()  # someone else, while the form was open
    response = client_for(owner).post(reverse("engagements:edit", args=[engagement.pk]), data)
    assert response.status_code == 422
    assert "deleted by someone else while you were editing" in response.content.decode()
    engagement.refresh_from_db()
    assert engagement.title == "Support ticket triage"


# --- 2. editing while a decision is recorded --------------------------------------------


@pytest.mark.parametrize("outcome", [Outcome.GO, Outcome.NO_GO])
def test_a_stale_edit_after_a_decision_keeps_the_decision(client_for, owner, engagement, outcome):
    data = edit_payload(engagement, title="Renamed")  # the form, opened before the decision
    decide(engagement, 1, outcome, owner)
    response = client_for(owner).post(reverse("engagements:edit", args=[engagement.pk]), data)
    assert response.status_code == 302
    assert_consistent(engagement, outcome, title="Renamed")


def test_an_edit_before_a_decision_keeps_both(client_for, owner, engagement):
    data = edit_payload(engagement, title="Renamed")
    client_for(owner).post(reverse("engagements:edit", args=[engagement.pk]), data)
    decide(engagement, 1, Outcome.GO, owner)
    assert_consistent(engagement, Outcome.GO, title="Renamed")


def assert_consistent(engagement, outcome, title):
    engagement = Engagement.objects.get(pk=engagement.pk)
    assert engagement.title == title
    if outcome == Outcome.GO:
        assert engagement.status == EngagementStatus.ACTIVE
        assert statuses(engagement) == ["done", "active", "planned"]
        assert engagement.next_gate_number == 2
    else:
        assert engagement.status == EngagementStatus.STOPPED
        assert statuses(engagement) == ["stopped", "cancelled", "cancelled"]


def race(engagement, data, outcome, owner, edit_first: bool) -> list[Exception]:
    """Post the edit and record the decision from two threads released together."""
    barrier, errors = threading.Barrier(2), []

    def edit():
        client = Client()
        client.force_login(owner)
        barrier.wait()
        response = client.post(reverse("engagements:edit", args=[engagement.pk]), data)
        assert response.status_code == 302, response.status_code

    def decision():
        barrier.wait()
        decide(engagement, 1, outcome, owner)

    def run(work):
        try:
            work()
        except Exception as exc:  # surfaced in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    order = [edit, decision] if edit_first else [decision, edit]
    threads = [threading.Thread(target=run, args=(work,)) for work in order]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("outcome", [Outcome.GO, Outcome.NO_GO])
def test_an_edit_racing_a_decision_never_undoes_it(org, owner, outcome):
    """An edit and a decision from two threads, started together, in both orders; whichever
    wins, the decision stands and the edit lands (PostgreSQL in CI: row locks)."""
    for attempt in range(6):
        engagement = make_engagement(org, owner, title=f"Race {attempt}")
        data = edit_payload(engagement, title=f"Edited {attempt}")
        errors = race(engagement, data, outcome, owner, edit_first=attempt % 2 == 0)
        assert not errors, errors
        assert_consistent(engagement, outcome, title=f"Edited {attempt}")


# --- 5. derived dates out of bounds ------------------------------------------------------


def test_a_plan_that_would_run_past_2100_is_refused_when_made(client_for, owner):
    payload = create_payload(start_date="2100-12-01", poc_weeks="52", development_weeks="156")
    response = client_for(owner).post(reverse("engagements:create"), payload)
    assert response.status_code == 422
    assert "after 31 Dec 2100" in response.content.decode()
    assert not Engagement.objects.exists()


def test_a_recycle_that_would_push_the_plan_past_2100_is_refused(owner, org):
    engagement = make_engagement(org, owner, start_date=date(2026, 1, 5))
    with pytest.raises(GateError, match="past 2100"):
        decide(engagement, 1, Outcome.RECYCLE, owner, new_end_date=date(2100, 12, 1))


# --- 6. an engagement that has not started yet --------------------------------------------


@pytest.fixture
def next_month():
    return date.today() + timedelta(days=30)


def test_a_future_start_is_planned_with_nothing_actual(client_for, owner, next_month):
    response = client_for(owner).post(
        reverse("engagements:create"), create_payload(start_date=next_month.isoformat())
    )
    engagement = Engagement.objects.get()
    assert response.status_code == 302
    assert engagement.status == EngagementStatus.PLANNED
    assert statuses(engagement) == ["planned", "planned", "planned"]
    assert not engagement.phases.exclude(actual_start=None).exists()
    page = client_for(owner).get(reverse("engagements:detail", args=[engagement.pk]))
    assert f"Starts {next_month:%-d %b %Y}" in page.content.decode()
    refused = client_for(owner).post(decide_url(engagement, 1), decision_payload())
    assert refused.status_code == 409
    assert "gate 1 can be decided once it has started" in refused.content.decode()


def test_a_planned_start_date_can_be_moved_and_the_plan_moves_with_it(
    client_for, owner, org, next_month
):
    engagement = make_engagement(org, owner, start_date=next_month)
    before = list(engagement.phases.order_by("number").values_list("planned_start", flat=True))
    later = next_month + timedelta(days=14)
    data = edit_payload(engagement, start_date=later.isoformat())
    response = client_for(owner).post(reverse("engagements:edit", args=[engagement.pk]), data)
    assert response.status_code == 302
    engagement.refresh_from_db()
    after = list(engagement.phases.order_by("number").values_list("planned_start", flat=True))
    assert engagement.start_date == later
    assert after == [day + timedelta(days=14) for day in before]


def test_a_started_engagement_has_no_start_date_field(client_for, owner, engagement):
    page = client_for(owner).get(reverse("engagements:edit", args=[engagement.pk]))
    assert 'name="start_date"' not in page.content.decode()


def test_the_start_date_arriving_starts_the_poc(client_for, owner, org, next_month):
    engagement = make_engagement(org, owner, start_date=next_month)
    assert start_due_engagements(next_month - timedelta(days=1)) == 0
    assert start_due_engagements(next_month) == 1
    engagement.refresh_from_db()
    assert engagement.status == EngagementStatus.ACTIVE
    poc = engagement.phases.get(number=1)
    assert poc.status == PhaseStatus.ACTIVE and poc.actual_start == next_month
    assert start_due_engagements(next_month) == 0  # idempotent


def test_showing_the_portfolio_starts_what_is_due(client_for, owner, org, next_month):
    engagement = make_engagement(org, owner, start_date=next_month)
    Engagement.objects.filter(pk=engagement.pk).update(start_date=date.today())
    engagement.phases.filter(number=1).update(planned_start=date.today())
    client_for(owner).get(reverse("engagements:portfolio"))
    engagement.refresh_from_db()
    assert engagement.status == EngagementStatus.ACTIVE


# --- 7. a stopped engagement -------------------------------------------------------------


def test_after_a_no_go_later_phases_are_cancelled_and_the_timeline_ends_at_the_stop(
    client_for, owner, engagement
):
    decide(engagement, 1, Outcome.NO_GO, owner, on=date(2026, 2, 16))
    engagement = Engagement.objects.prefetch_related("phases").get(pk=engagement.pk)
    assert statuses(engagement) == ["stopped", "cancelled", "cancelled"]
    timeline = phase_timeline(list(engagement.phases.all()), date(2026, 3, 1))
    assert [bar.label for bar in timeline.bars] == ["Discovery & PoC"]
    assert timeline.bars[0].end == date(2026, 2, 16)
    page = client_for(owner).get(reverse("engagements:detail", args=[engagement.pk]))
    assert page.content.decode().count("Cancelled") == 2


# --- 8. the Recycle-only end date --------------------------------------------------------


def test_a_left_over_end_date_does_not_block_another_outcome(client_for, owner, engagement):
    payload = decision_payload(outcome="go", new_end_date="2026-05-01")
    response = client_for(owner).post(decide_url(engagement, 1), payload)
    assert response.status_code == 302
    decision = GateDecision.objects.get()
    assert decision.outcome == Outcome.GO and decision.new_end_date is None


# --- 13. what people see of gates and urgency ----------------------------------------------


def test_the_portfolio_puts_overdue_gates_first_and_closed_engagements_last(client_for, owner, org):
    today = date.today()
    fresh = make_engagement(org, owner, title="Fresh", start_date=today - timedelta(days=7))
    late = make_engagement(org, owner, title="Late", start_date=today - timedelta(weeks=20))
    later = make_engagement(org, owner, title="Later", start_date=today - timedelta(weeks=30))
    stopped = make_engagement(org, owner, title="Stopped", start_date=today - timedelta(days=3))
    decide(stopped, 1, Outcome.NO_GO, owner, on=today)
    page = client_for(owner).get(reverse("engagements:portfolio")).content.decode()
    order = [page.index(f">{e.title}<") for e in (later, late, fresh, stopped)]
    assert order == sorted(order)
    newest = client_for(owner).get(reverse("engagements:portfolio") + "?sort=newest")
    body = newest.content.decode()
    assert body.index(">Stopped<") < body.index(">Later<")


def test_gate_cards_show_due_dates_and_who_is_awaited(client_for, owner, org, engagement):
    owner.first_name, owner.last_name = "Olivia", "Owens"
    owner.save()
    board = make_member(org, Role.BOARD)
    page = client_for(board).get(reverse("engagements:detail", args=[engagement.pk]))
    body = page.content.decode()
    due = engagement.phases.get(number=1).planned_end
    assert f"since {due:%-d %b %Y}" in body  # overdue: the fixture started in January
    assert f"Awaiting the decision of Olivia Owens, due {due:%-d %b %Y}." in body
    card_2 = body[body.index('id="gate-2"') : body.index('id="gate-3"')]
    assert "Due " in card_2


def test_a_plan_that_breaks_the_norms_is_never_green(client_for, owner, org):
    engagement = make_engagement(org, owner, start_date=date.today())
    engagement.phases.filter(number=1).update(billing_model="fixed_price")
    page = client_for(owner).get(reverse("engagements:portfolio")).content.decode()
    assert 'class="health amber"' in page and "Plan: Discovery &amp; PoC is billed" in page


def test_the_poc_starts_on_the_start_date_whatever_the_phase_form_says(
    client_for, owner, org, next_month
):
    engagement = make_engagement(org, owner, start_date=next_month)
    later = (next_month + timedelta(days=60)).isoformat()
    data = edit_payload(
        engagement, start_date=next_month.isoformat(), **{"phases-0-planned_start": later}
    )
    client_for(owner).post(reverse("engagements:edit", args=[engagement.pk]), data)
    assert engagement.phases.get(number=1).planned_start == next_month  # not moved on its own
    start_due_engagements(next_month)
    assert engagement.phases.get(number=1).actual_start == next_month


def test_a_gate_after_a_no_go_takes_no_place_and_offers_no_pdf(client_for, owner, engagement):
    decide(engagement, 1, Outcome.NO_GO, owner)
    body = client_for(owner).get(reverse("engagements:detail", args=[engagement.pk])).content
    card_3 = body.decode()[body.decode().index('id="gate-3"') :]
    assert "Will not take place" in card_3 and "Board PDF" not in card_3
    gate_3 = engagement.gates.get(number=3)
    url = reverse("reports:request", args=["board_gate_summary", gate_3.pk])
    assert client_for(owner).post(url).status_code == 409


def test_moving_the_start_date_keeps_phase_dates_typed_in_the_same_post(
    client_for, owner, org, next_month
):
    engagement = make_engagement(org, owner, start_date=next_month)
    phases = {p.number: p for p in engagement.phases.all()}
    week_later = next_month + timedelta(days=7)
    typed_end = phases[1].planned_end + timedelta(days=14)
    data = edit_payload(
        engagement,
        start_date=week_later.isoformat(),
        **{
            "phases-0-planned_end": typed_end.isoformat(),
            "phases-1-planned_start": typed_end.isoformat(),
        },
    )
    response = client_for(owner).post(reverse("engagements:edit", args=[engagement.pk]), data)
    assert response.status_code == 302
    after = {p.number: p for p in engagement.phases.all()}
    assert after[1].planned_start == week_later and after[1].planned_end == typed_end
    assert after[2].planned_start == typed_end  # as typed, not shifted again
    assert after[3].planned_start == phases[3].planned_start + timedelta(days=7)


def test_add_another_kpi_starts_like_the_other_rows(client_for, owner):
    payload = create_payload(add_kpi="1")
    body = client_for(owner).post(reverse("engagements:create"), payload).content.decode()
    new_row = body[body.index('name="kpis-1-name"') - 400 :]
    assert "autofocus" in new_row[:600]
    checkbox = re.search(r'<input[^>]*name="kpis-1-higher_is_better"[^>]*>', body).group(0)
    assert "checked" in checkbox
