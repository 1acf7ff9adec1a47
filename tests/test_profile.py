"""One's profile (name, password, organisation at log-in, API tokens), the organisation opened
at log-in, password reset by e-mail, and the people filter."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.template import Context, Template
from django.urls import NoReverseMatch, reverse

from accounts.middleware import SESSION_KEY
from accounts.models import Membership
from accounts.roles import Role
from accounts.templatetags.people import person

from .conftest import make_member

User = get_user_model()


def log_in(client, email, password):
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def test_the_header_shows_the_name_and_links_the_profile(client_for, owner):
    owner.first_name, owner.last_name = "Olive", "Owner"
    owner.save()
    page = client_for(owner).get(reverse("engagements:portfolio")).content.decode()
    assert "Olive Owner" in page and "owner@acme.test" not in page
    assert reverse("accounts:profile") in page


def test_changing_my_name(client_for, vendor):
    client = client_for(vendor)
    response = client.post(
        reverse("accounts:profile"),
        {"form": "name", "first_name": "Vera", "last_name": "Vendor"},
        follow=True,
    )
    assert "Your name is saved." in response.content.decode()
    vendor.refresh_from_db()
    assert vendor.get_full_name() == "Vera Vendor"


def test_a_too_long_name_is_refused(client_for, owner):
    response = client_for(owner).post(
        reverse("accounts:profile"), {"form": "name", "first_name": "x" * 151, "last_name": ""}
    )
    assert response.status_code == 422
    assert "at most 150 characters" in response.content.decode()


def test_changing_my_password_keeps_me_logged_in(client_for, owner):
    client = client_for(owner)
    response = client.post(
        reverse("accounts:profile"),
        {
            "form": "password",
            "old_password": "pw",
            "new_password1": "a brand new passphrase",
            "new_password2": "a brand new passphrase",
        },
        follow=True,
    )
    assert "Your password is changed." in response.content.decode()
    assert client.get(reverse("engagements:portfolio")).status_code == 200
    owner.refresh_from_db()
    assert owner.check_password("a brand new passphrase")


def test_a_wrong_old_password_is_refused(client_for, owner):
    response = client_for(owner).post(
        reverse("accounts:profile"),
        {
            "form": "password",
            "old_password": "nope",
            "new_password1": "a brand new passphrase",
            "new_password2": "a brand new passphrase",
        },
    )
    assert response.status_code == 422
    assert "Your old password was entered incorrectly" in response.content.decode()
    owner.refresh_from_db()
    assert owner.check_password("pw")


def test_an_unknown_form_is_refused(client_for, owner):
    response = client_for(owner).post(reverse("accounts:profile"), {"form": "admin"})
    assert response.status_code == 422
    assert "That form is not on this page." in response.content.decode()


def test_profile_links_to_api_tokens_when_installed(client_for, owner):
    page = client_for(owner).get(reverse("accounts:profile")).content.decode()
    try:
        tokens = reverse("tokens:list")
    except NoReverseMatch:  # the tokens page belongs to the API app
        pytest.skip("the API tokens page is not installed")
    assert tokens in page


@pytest.fixture
def two_orgs(org, other_org, owner):
    """The owner of Acme is also a board member of Globex."""
    Membership.objects.create(user=owner, organisation=other_org, role=Role.BOARD)
    return owner


def test_log_in_opens_the_organisation_used_last(client, two_orgs, other_org):
    log_in(client, "owner@acme.test", "pw")
    client.post(reverse("accounts:switch"), {"organisation": other_org.pk})
    client.post(reverse("accounts:logout"))
    log_in(client, "owner@acme.test", "pw")
    response = client.get(reverse("engagements:portfolio"))
    assert response.context["current_organisation"] == other_org


def test_log_in_opens_the_chosen_default_over_the_last_used(client, two_orgs, org, other_org):
    log_in(client, "owner@acme.test", "pw")
    response = client.post(
        reverse("accounts:profile"), {"form": "default", "organisation": org.pk}, follow=True
    )
    assert "You will start in Acme after logging in." in response.content.decode()
    client.post(reverse("accounts:switch"), {"organisation": other_org.pk})
    client.post(reverse("accounts:logout"))
    log_in(client, "owner@acme.test", "pw")
    assert client.get(reverse("engagements:portfolio")).context["current_organisation"] == org
    assert Membership.objects.filter(user=two_orgs, is_default=True).count() == 1


def test_the_default_can_go_back_to_the_last_used(client_for, two_orgs, org):
    client = client_for(two_orgs)
    client.post(reverse("accounts:profile"), {"form": "default", "organisation": org.pk})
    client.post(reverse("accounts:profile"), {"form": "default", "organisation": ""})
    assert not Membership.objects.filter(user=two_orgs, is_default=True).exists()


def test_an_organisation_i_do_not_belong_to_cannot_be_my_default(client_for, owner, other_org):
    response = client_for(owner).post(
        reverse("accounts:profile"), {"form": "default", "organisation": other_org.pk}
    )
    assert response.status_code == 422
    assert not Membership.objects.filter(is_default=True).exists()


def test_first_log_in_opens_the_first_organisation_and_remembers_it(client, two_orgs, org):
    log_in(client, "owner@acme.test", "pw")
    assert client.session[SESSION_KEY] == org.pk
    assert two_orgs.memberships.get(organisation=org).last_used_at is not None


# --- Password reset ------------------------------------------------------------------------


def reset_link(message) -> str:
    return "/" + re.search(r"https?://\S+?/(accounts/password-reset/\S+/)", message.body).group(1)


def test_password_reset_by_e_mail(
    client, owner, mail_via_worker, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://handover.example.com"
    login_page = client.get(reverse("accounts:login")).content.decode()
    assert "Forgot your password?" in login_page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": "OWNER@acme.test"})
    assert response.status_code == 302
    [message] = mail_via_worker
    assert message.to == ["owner@acme.test"]
    assert "https://handover.example.com/accounts/password-reset/" in message.body
    form_page = client.get(reset_link(message), follow=True)
    assert "Choose a new password" in form_page.content.decode()
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "fresh and long pass", "new_password2": "fresh and long pass"},
        follow=True,
    )
    assert "Your password is changed" in response.content.decode()
    assert log_in(client, "owner@acme.test", "fresh and long pass").status_code == 302
    # The link worked once.
    again = client.get(reset_link(message), follow=True).content.decode()
    assert "This link no longer works" in again


def test_password_reset_ends_a_lock_out(
    client, owner, settings, mail_via_worker, django_capture_on_commit_callbacks
):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        log_in(client, "owner@acme.test", "wrong")
    locked = log_in(client, "owner@acme.test", "pw")
    assert locked.status_code == 429
    assert reverse("accounts:password_reset") in locked.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": "owner@acme.test"})
    form_page = client.get(reset_link(mail_via_worker[0]), follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "fresh and long pass", "new_password2": "fresh and long pass"},
    )
    assert log_in(client, "owner@acme.test", "fresh and long pass").status_code == 302


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(
    client, db, mail_via_worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:password_reset"), {"email": "nobody@example.com"}, follow=True
        )
    assert "Check your e-mail" in response.content.decode()
    assert mail_via_worker == []


def test_password_reset_with_a_bad_address_is_refused(client, db):
    response = client.post(reverse("accounts:password_reset"), {"email": "not an address"})
    assert response.status_code == 422
    assert "Enter a valid email address." in response.content.decode()


def test_a_forged_reset_link_says_it_no_longer_works(client, db):
    response = client.get(
        reverse("accounts:password_reset_confirm", args=["MQ", "forged-token"]), follow=True
    )
    assert response.status_code == 200
    assert "This link no longer works" in response.content.decode()


# --- People by name ------------------------------------------------------------------------


def test_person_is_the_full_name_else_the_e_mail(db):
    named = User(username="a@x.test", email="a@x.test", first_name="Ada", last_name="Lovelace")
    unnamed = User(username="b@x.test", email="b@x.test")
    assert person(named) == "Ada Lovelace"
    assert person(unnamed) == "b@x.test"
    assert person(None) == "a former member"


def test_person_escapes_in_templates(db):
    evil = User(username="e@x.test", email="e@x.test", first_name="<i>Eve</i>")
    html = Template("{% load people %}{{ u|person }}").render(Context({"u": evil}))
    assert html == "&lt;i&gt;Eve&lt;/i&gt;"


def test_a_member_with_no_name_is_shown_by_e_mail_on_the_members_page(client_for, admin, org):
    make_member(org, Role.BOARD, "noname@acme.test")
    page = client_for(admin).get(reverse("accounts:members")).content.decode()
    assert '<th scope="row">noname@acme.test' in page  # as the name
    assert "<td>noname@acme.test</td>" in page  # and in the Email column
