from __future__ import annotations

import pytest
from django.urls import reverse

from .conftest import make_member


def test_every_page_sends_a_csp_without_unsafe_inline(client_for, owner, engagement):
    client = client_for(owner)
    for url in (
        reverse("engagements:portfolio"),
        reverse("engagements:detail", args=[engagement.pk]),
    ):
        policy = client.get(url)["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy


def test_pages_carry_no_inline_scripts_styles_or_handlers(client_for, owner, engagement):
    page = client_for(owner).get(reverse("engagements:detail", args=[engagement.pk])).content
    html = page.decode()
    assert "<script>" not in html and "<style" not in html and " style=" not in html
    assert " onclick=" not in html and "hx-on" not in html
    assert '<script src="/static/vendor/htmx/htmx.min.js" defer></script>' in html


def test_login_page_has_a_title_a_language_and_labelled_fields(client):
    html = client.get(reverse("accounts:login")).content.decode()
    assert '<html lang="en">' in html and "<title>Log in · Handover</title>" in html
    assert '<label for="id_username">Email:</label>' in html
    assert '<label for="id_password">Password:</label>' in html


def test_a_member_logs_in_with_email_and_lands_on_the_portfolio(client, org):
    make_member(org, "owner", "cto@acme.test")
    response = client.post(
        reverse("accounts:login"), {"username": "cto@acme.test", "password": "pw"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("engagements:portfolio")
    assert "Portfolio" in response.content.decode()


def test_log_in_attempts_are_throttled(client, org, settings):
    make_member(org, "owner", "cto@acme.test")
    for attempt in range(1, settings.AXES_FAILURE_LIMIT):
        response = client.post(
            reverse("accounts:login"), {"username": "cto@acme.test", "password": "wrong"}
        )
        assert response.status_code == 200, attempt
        assert "do not match an account" in response.content.decode()
    client.post(reverse("accounts:login"), {"username": "cto@acme.test", "password": "wrong"})
    # Now even the right password is refused for a while.
    locked = client.post(reverse("accounts:login"), {"username": "cto@acme.test", "password": "pw"})
    assert locked.status_code == 429
    assert "Too many failed log-in attempts" in locked.content.decode()


def test_logging_out_needs_a_post_and_ends_the_session(client_for, owner):
    client = client_for(owner)
    assert client.get(reverse("accounts:logout")).status_code == 405
    client.post(reverse("accounts:logout"))
    response = client.get(reverse("engagements:portfolio"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_decisions_and_reports_accept_only_posts(client_for, owner, engagement, method):
    client = client_for(owner)
    gate = engagement.gates.get(number=1)
    for url in (
        reverse("engagements:decide", args=[engagement.pk, 1]),
        reverse("reports:request", args=["board_gate_summary", gate.pk]),
    ):
        assert getattr(client, method)(url).status_code == 405


def test_posts_without_a_csrf_token_are_refused(owner, engagement):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post(
        reverse("engagements:decide", args=[engagement.pk, 1]),
        {"outcome": "go", "decided_on": "2026-03-02", "rationale": "x"},
    )
    assert response.status_code == 403


def _request(remote, forwarded=None):
    from django.test import RequestFactory

    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_proxies_the_client_ip_is_the_peer_and_forwarded_headers_are_ignored(settings):
    from accounts.client_ip import client_ip

    settings.TRUSTED_PROXIES = 0
    assert client_ip(_request("203.0.113.9", "1.2.3.4")) == "203.0.113.9"


def test_behind_one_proxy_a_forged_left_hand_address_is_ignored(settings):
    from accounts.client_ip import client_ip

    settings.TRUSTED_PROXIES = 1
    # The client forged 1.2.3.4; our proxy appended the address it really saw.
    assert client_ip(_request("10.0.0.2", "1.2.3.4, 198.51.100.7")) == "198.51.100.7"
    assert client_ip(_request("10.0.0.2")) == "10.0.0.2"
