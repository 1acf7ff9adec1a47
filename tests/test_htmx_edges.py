"""htmx edge cases: an expired session, a refused request, private caching, quiet 403 logs."""

from __future__ import annotations

import logging

from django.urls import reverse

from accounts.roles import Role

from .conftest import make_member
from .test_engagement_views import decision_payload


def test_an_expired_session_during_an_htmx_post_navigates_to_log_in(client, engagement):
    url = reverse("engagements:decide", args=[engagement.pk, 1])
    page = reverse("engagements:detail", args=[engagement.pk])
    response = client.post(
        url,
        decision_payload(),
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver{page}",
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{reverse('accounts:login')}?next={page}"
    assert "<html" not in response.content.decode()  # nothing to swap into the page


def test_a_403_during_an_htmx_post_is_shown_where_messages_appear(client_for, org, engagement):
    board = make_member(org, Role.BOARD)
    url = reverse("engagements:decide", args=[engagement.pk, 1])
    response = client_for(board).post(url, decision_payload(), HTTP_HX_REQUEST="true")
    assert response.status_code == 200  # htmx swaps 2xx only; a 4xx is a console error
    assert response["HX-Retarget"] == "#messages"
    assert "does not allow this" in response.content.decode()
    plain = client_for(board).post(url, decision_payload())
    assert plain.status_code == 403 and "does not allow this" in plain.content.decode()


def test_a_404_during_an_htmx_request_is_shown_where_messages_appear(client_for, owner):
    url = reverse("engagements:detail", args=[999_999])
    response = client_for(owner).get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Retarget"] == "#messages"
    assert "no longer here" in response.content.decode()
    assert client_for(owner).get(url).status_code == 404


def test_members_pages_are_never_stored_by_caches(client_for, owner, engagement):
    for url in (reverse("engagements:portfolio"), reverse("engagements:detail", args=[1])):
        response = client_for(owner).get(url)
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_a_403_is_logged_once_without_a_traceback(client_for, org, engagement, caplog):
    board = make_member(org, Role.BOARD)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client_for(board).get(reverse("engagements:edit", args=[engagement.pk]))
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelno == logging.WARNING
    logger = logging.getLogger("django.request")
    # One handler prints it (pytest adds its own capturing one), not also the root's.
    (handler,) = [h for h in logger.handlers if not type(h).__module__.startswith("_pytest")]
    assert not logger.propagate
    # Django attaches the PermissionDenied to the record; our filter drops its traceback.
    assert all(f.filter(record) for f in handler.filters)
    assert record.exc_info is None and "Traceback" not in handler.format(record)


def test_a_failed_csrf_check_during_htmx_says_to_reload(owner, engagement):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    url = reverse("engagements:decide", args=[engagement.pk, 1])
    response = client.post(url, decision_payload(), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Retarget"] == "#messages"
    assert "reload it and try again" in response.content.decode()
    plain = client.post(url, decision_payload())
    assert plain.status_code == 403 and "reload it and try again" in plain.content.decode()


def test_log_out_says_so(client_for, owner):
    client = client_for(owner)
    response = client.post(reverse("accounts:logout"), follow=True)
    assert "You have logged out." in response.content.decode()
    assert client.get(reverse("engagements:portfolio")).status_code == 302


def test_a_form_posted_after_log_out_says_it_was_not_saved_and_returns_to_its_page(
    client, engagement
):
    page = reverse("engagements:detail", args=[engagement.pk])
    url = reverse("engagements:decide", args=[engagement.pk, 1])
    response = client.post(url, decision_payload(), HTTP_REFERER=f"http://testserver{page}")
    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next={page}"
    login_page = client.get(response.url).content.decode()
    assert "You were logged out, so that was not saved" in login_page
    # A referer from elsewhere is not followed.
    other = client.post(url, decision_payload(), HTTP_REFERER="https://evil.example/x")
    assert other.url == f"{reverse('accounts:login')}?next=/"


def test_opening_a_post_only_address_goes_to_the_page_the_form_lives_on(
    client_for, owner, engagement
):
    url = reverse("engagements:decide", args=[engagement.pk, 1])
    browser = client_for(owner).get(url, HTTP_ACCEPT="text/html,application/xhtml+xml")
    assert browser.status_code == 302
    assert browser.url == reverse("engagements:detail", args=[engagement.pk])
    assert client_for(owner).get(url).status_code == 405  # a script still hears the truth


def test_a_failed_csrf_check_when_logged_out_goes_to_log_in_and_back(engagement):
    """Cookies cleared (no session, no CSRF cookie) and a form sent: the log-in page, then
    back to the form's page — as any post made while logged out, not an 'out of date' 403."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    page = reverse("engagements:detail", args=[engagement.pk])
    url = reverse("engagements:decide", args=[engagement.pk, 1])
    response = client.post(
        url,
        decision_payload(),
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver{page}",
    )
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("accounts:login"))
    assert "next=" in response["HX-Redirect"] and str(engagement.pk) in response["HX-Redirect"]
    plain = client.post(url, decision_payload(), HTTP_REFERER=f"http://testserver{page}")
    assert plain.status_code == 302 and plain["Location"].startswith(reverse("accounts:login"))
    assert "not saved" in client.get(plain["Location"]).content.decode()
