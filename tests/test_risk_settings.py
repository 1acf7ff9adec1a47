"""The organisation's risk thresholds page (settings/risks/): insiders read, admins set; bad
input is refused on the form with nothing written; saving refreshes the stored health."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from engagements.models import ChangeRequest, Engagement, RiskSettings
from engagements.models.radar import THRESHOLDS
from engagements.views.risk_settings import save_risk_settings

URL = "/settings/risks/"


def valid(**changes) -> dict:
    values = {name: default for name, (default, _, _) in THRESHOLDS.items()}
    return values | changes


def test_the_url_is_settings_risks():
    assert reverse("engagements:risk_settings") == URL


def test_a_board_member_reads_the_thresholds_with_their_ranges_but_cannot_save(client_for, board):
    response = client_for(board).get(URL)
    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Risk thresholds</h1>" in page and "The guide's defaults" in page
    assert "(0–100; the guide&#x27;s default 60)" in page  # every field says its range
    assert 'name="readiness_min"' in page and "disabled" in page
    assert "Save thresholds" not in page
    assert client_for(board).post(URL, valid()).status_code == 403
    assert not RiskSettings.objects.exists()


@pytest.mark.parametrize("who", ["owner", "vendor"])
def test_an_owner_may_not_save_and_a_vendor_contact_may_not_look(who, client_for, request):
    user = request.getfixturevalue(who)
    if who == "owner":
        assert client_for(user).get(URL).status_code == 200
        assert client_for(user).post(URL, valid()).status_code == 403
    else:
        assert client_for(user).get(URL).status_code == 403
    assert not RiskSettings.objects.exists()


def test_only_admins_see_the_nav_link(client_for, admin, owner):
    link = f'href="{URL}"'
    assert link in client_for(admin).get(reverse("engagements:portfolio")).content.decode()
    assert link not in client_for(owner).get(reverse("engagements:portfolio")).content.decode()


def test_an_admin_saves_and_every_engagement_is_refreshed(
    client_for, admin, owner, org, engagement, django_capture_on_commit_callbacks
):
    for i in range(3):
        ChangeRequest.objects.create(
            engagement=engagement,
            title=f"One more model {i}",
            reason="x",
            requested_by=owner,
            status="approved",
            decided_by=owner,
            decided_at=timezone.now(),
        )
    client = client_for(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, valid(change_request_count=2), follow=True)
    assert response.status_code == 200
    engagement.refresh_from_db()
    assert "Scope creep" in engagement.risk_titles
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, valid(change_request_count=4), follow=True)
    assert "Risk thresholds saved (approved change requests)" in response.content.decode()
    assert RiskSettings.objects.get(organisation=org).change_request_count == 4
    engagement.refresh_from_db()
    assert "Scope creep" not in engagement.risk_titles  # the threshold moved past it
    response = client.post(URL, valid(change_request_count=4), follow=True)
    assert "Nothing changed" in response.content.decode()


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("change_request_count", "0", "from 1 to 50"),
        ("readiness_min", "101", "from 0 to 100"),
        ("schedule_slip_days", "-3", "from 1 to 365"),
        ("hours_only_reports", "two", "from 1 to 52"),
        ("budget_overrun_share", "", "from 0 to 100"),
    ],
)
def test_bad_input_is_refused_on_the_form_and_nothing_is_written(
    client_for, admin, field, value, message
):
    response = client_for(admin).post(URL, valid(**{field: value}))
    assert response.status_code == 422
    page = response.content.decode()
    assert message in page and 'class="error"' in page
    assert not RiskSettings.objects.exists()


def test_htmx_gets_the_errors_in_the_fragment(client_for, admin):
    response = client_for(admin).post(
        URL, valid(readiness_min="500"), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "from 0 to 100" in page and "<html" not in page


def test_a_second_admin_saving_changes_only_their_fields(client_for, admin, org):
    RiskSettings.objects.create(organisation=org, readiness_min=70)
    client_for(admin).post(URL, valid(readiness_min=70, missing_report_weeks=5))
    row = RiskSettings.objects.get(organisation=org)
    assert (row.readiness_min, row.missing_report_weeks) == (70, 5)
    assert RiskSettings.history.filter(organisation=org).count() == 2  # audited


def test_other_organisations_thresholds_are_not_touched(client_for, admin, other_org, outsider):
    theirs = RiskSettings.objects.create(organisation=other_org, readiness_min=10)
    client_for(admin).post(URL, valid(readiness_min=90))
    theirs.refresh_from_db()
    assert theirs.readiness_min == 10
    assert Engagement.objects.count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first", ["readiness", "reports"])
def test_two_admins_saving_at_once_both_land_field_by_field(org, first):
    """The first save of an organisation's thresholds creates the row: two admins at once
    must not both try (the organisation's row is locked), and neither undoes the other."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks between threads: PostgreSQL")
    holding, done = threading.Event(), []
    changes = {"readiness": {"readiness_min": 75}, "reports": {"missing_report_weeks": 6}}
    second = "reports" if first == "readiness" else "readiness"

    def save(name, hold):
        try:
            with transaction.atomic():
                save_risk_settings(org, changes[name])
                if hold:
                    holding.set()
                    time.sleep(0.3)  # the other admin's save waits on the lock meanwhile
            done.append(name)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(first, True))]
    threads[0].start()
    holding.wait(5)
    threads.append(threading.Thread(target=save, args=(second, False)))
    threads[1].start()
    for thread in threads:
        thread.join(timeout=30)
    assert done == [first, second]
    row = RiskSettings.objects.get(organisation=org)
    assert (row.readiness_min, row.missing_report_weeks) == (75, 6)


def test_a_stale_tab_saves_what_it_changed_and_says_what_changed_meanwhile(client_for, admin, org):
    shown = valid()  # the page showed the defaults
    RiskSettings.objects.create(organisation=org, readiness_min=75)  # another admin, since
    data = shown | {f"initial-{name}": value for name, value in shown.items()}
    response = client_for(admin).post(URL, data | {"missing_report_weeks": 6}, follow=True)
    page = response.content.decode()
    row = RiskSettings.objects.get(organisation=org)
    assert (row.readiness_min, row.missing_report_weeks) == (75, 6)
    assert "Risk thresholds saved (missing weekly reports)" in page
    assert "Meanwhile another admin changed lowest usable data readiness (%)" in page
