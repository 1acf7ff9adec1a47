"""The API tokens page: a secret shown once, names, revocation, and tokens following their
member's role."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from accounts.roles import Role
from api.models import ApiToken, hash_token

from .test_api import LIST, REPORTS, bearer, detail_url, report_body, token_for

# --- The API tokens page ----------------------------------------------------------------------


def create_token(client, name: str):
    """Post the token form as the browser does: with the one-use value of the form shown."""
    page = client.get(reverse("tokens:list")).content.decode()
    once = re.search(r'name="once" value="([^"]+)"', page).group(1)
    return client.post(reverse("tokens:list"), {"name": name, "once": once})


def test_a_created_token_is_shown_once_and_works(client_for, owner, engagement):
    client = client_for(owner)
    response = create_token(client, "Metrics pipeline")
    assert response.status_code == 200
    token = ApiToken.objects.get()
    assert token.membership.user == owner and token.name == "Metrics pipeline"
    html = response.content.decode()
    secret = html.split('id="token-secret" value="')[1].split('"')[0]
    assert hash_token(secret) == token.key_hash
    assert "will not be shown again" in html
    assert "no-store" in response["Cache-Control"]

    listing = client.get(reverse("tokens:list")).content.decode()
    assert "Metrics pipeline" in listing and token.prefix in listing and secret not in listing
    assert Client(headers=bearer(secret)).get(detail_url(engagement)).status_code == 200


def test_reloading_the_page_that_showed_a_secret_makes_no_second_token(client_for, owner):
    client = client_for(owner)
    page = client.get(reverse("tokens:list")).content.decode()
    once = re.search(r'name="once" value="([^"]+)"', page).group(1)
    form = {"name": "Metrics pipeline", "once": once}
    assert client.post(reverse("tokens:list"), form).status_code == 200
    again = client.post(reverse("tokens:list"), form, follow=True)  # the browser's reload
    assert "No second token was made." in again.content.decode()
    assert ApiToken.objects.count() == 1


@pytest.mark.parametrize("name", ["", "   ", "n" * 101])
def test_a_token_needs_a_sensible_name(client_for, owner, name):
    response = create_token(client_for(owner), name)
    assert response.status_code == 422
    assert 'class="error"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_hostile_token_name_is_shown_escaped(client_for, owner):
    client = client_for(owner)
    create_token(client, "<script>alert(1)</script>")
    html = client.get(reverse("tokens:list")).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_the_page_lists_only_my_tokens_in_this_organisation(
    client_for, org, other_org, owner, admin
):
    Membership.objects.create(user=owner, organisation=other_org, role=Role.OWNER)
    token_for(owner, org, name="Mine at Acme")
    token_for(owner, other_org, name="Mine at Globex")
    token_for(admin, name="The admin's")
    html = client_for(owner).get(reverse("tokens:list")).content.decode()
    assert "Mine at Acme" in html
    assert "Mine at Globex" not in html and "The admin&#x27;s" not in html


def test_revoking_asks_first_then_the_token_stops_working(client_for, owner, engagement):
    secret = token_for(owner, name="Old laptop")
    token = ApiToken.objects.get()
    client = client_for(owner)
    confirm = client.get(reverse("tokens:revoke", args=[token.pk]))
    assert "Revoke “Old laptop”?" in confirm.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None  # a GET only asks

    response = client.post(reverse("tokens:revoke", args=[token.pk]), follow=True)
    assert "revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client(headers=bearer(secret)).get(LIST).status_code == 401
    # Revoked once: there is nothing left to revoke.
    assert client.post(reverse("tokens:revoke", args=[token.pk])).status_code == 404


def test_nobody_revokes_someone_elses_token(client_for, org, owner, admin):
    token_for(owner)
    token = ApiToken.objects.get()
    assert client_for(admin).post(reverse("tokens:revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_twice_keeps_the_first_date(owner):
    token_for(owner)
    token = ApiToken.objects.get()
    token.revoke()
    first = token.revoked_at
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=first - timedelta(days=1))
    token.revoke()
    assert token.revoked_at == first - timedelta(days=1)


def test_a_role_change_applies_to_existing_tokens_at_once(api, owner, reached_gate):
    secret = token_for(owner)
    Membership.objects.filter(user=owner).update(role=Role.BOARD)
    response = api(secret).post(REPORTS, report_body(reached_gate), content_type="application/json")
    assert response.status_code == 403
    assert response.json()["detail"].startswith("Your role in Acme")
