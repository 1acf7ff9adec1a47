"""The members page: who is in the organisation, changing roles and removing members, and
the rules that keep an organisation from losing its last admin."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django.urls import reverse

from accounts.members import MemberError, change_role, remove
from accounts.models import Membership, Organisation
from accounts.roles import Role

from .conftest import decide, make_engagement, make_member


def membership(user, org=None):
    return user.memberships.get(**({"organisation": org} if org else {}))


def test_admin_sees_members_by_name_email_role_and_last_log_in(client_for, admin, owner, org):
    owner.first_name, owner.last_name = "Olive", "Owner"
    owner.save()
    page = client_for(admin).get(reverse("accounts:members")).content.decode()
    assert "Olive Owner" in page and "owner@acme.test" in page
    assert "CTO / VP Engineering" in page
    assert "Never" in page  # the owner has not logged in yet


def test_members_page_lists_only_this_organisation(client_for, admin, outsider):
    page = client_for(admin).get(reverse("accounts:members")).content.decode()
    assert outsider.email not in page


def test_members_page_runs_a_constant_number_of_queries(
    client_for, admin, org, django_assert_num_queries
):
    client = client_for(admin)
    for i in range(3):
        make_member(org, Role.BOARD, f"board{i}@acme.test")
    # 1 session, 2 user, 3 memberships (middleware), 4 members, 5 pending invitations
    with django_assert_num_queries(5):
        client.get(reverse("accounts:members"))
    for i in range(20):
        make_member(org, Role.VENDOR, f"vendor{i}@acme.test")
    with django_assert_num_queries(5):
        response = client.get(reverse("accounts:members"))
    assert response.content.decode().count("vendor1") >= 11  # vendor1, vendor10..19


def test_hostile_names_are_escaped(client_for, admin, org):
    user = make_member(org, Role.BOARD, "evil@acme.test")
    user.first_name = "<script>alert(1)</script>"
    user.save()
    page = client_for(admin).get(reverse("accounts:members")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_admin_changes_a_role(client_for, admin, owner):
    response = client_for(admin).post(
        reverse("accounts:member_role", args=[membership(owner).pk]), {"role": Role.BOARD}
    )
    assert response.status_code == 302
    assert membership(owner).role == Role.BOARD


def test_role_change_by_htmx_returns_the_table(client_for, admin, owner):
    response = client_for(admin).post(
        reverse("accounts:member_role", args=[membership(owner).pk]),
        {"role": Role.PROCUREMENT},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and "is now Procurement" in body
    assert membership(owner).role == Role.PROCUREMENT


def test_a_role_that_does_not_exist_is_refused(client_for, admin, owner):
    response = client_for(admin).post(
        reverse("accounts:member_role", args=[membership(owner).pk]), {"role": "emperor"}
    )
    assert response.status_code == 422
    assert "is not a role" in response.content.decode()
    assert membership(owner).role == Role.OWNER


def test_the_only_admin_cannot_demote_themselves(client_for, admin):
    response = client_for(admin).post(
        reverse("accounts:member_role", args=[membership(admin).pk]), {"role": Role.BOARD}
    )
    assert response.status_code == 422
    assert "You are the last admin of Acme" in response.content.decode()
    assert membership(admin).role == Role.ADMIN


def test_an_admin_cannot_demote_themselves_even_with_another_admin(client_for, admin, org):
    make_member(org, Role.ADMIN, "second-admin@acme.test")
    response = client_for(admin).post(
        reverse("accounts:member_role", args=[membership(admin).pk]),
        {"role": Role.BOARD},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200  # htmx: the table comes back with the reason
    assert "cannot change your own role" in response.content.decode()
    assert membership(admin).role == Role.ADMIN


def test_an_admin_cannot_remove_themselves(client_for, admin, org):
    make_member(org, Role.ADMIN, "second-admin@acme.test")
    response = client_for(admin).post(
        reverse("accounts:member_remove", args=[membership(admin).pk])
    )
    assert response.status_code == 409
    assert "cannot remove yourself" in response.content.decode()
    assert Membership.objects.filter(pk=membership(admin).pk).exists()


def test_the_last_admin_cannot_be_removed(client_for, admin):
    response = client_for(admin).post(
        reverse("accounts:member_remove", args=[membership(admin).pk])
    )
    assert response.status_code == 409
    assert "You are the last admin of Acme" in response.content.decode()


def test_an_admin_demoted_a_moment_ago_can_no_longer_demote(admin, org):
    other = make_member(org, Role.ADMIN, "other-admin@acme.test")
    stale = membership(other)  # loaded while still an admin
    change_role(membership(admin), stale.pk, Role.BOARD)
    with pytest.raises(MemberError, match="no longer an admin"):
        change_role(stale, membership(admin).pk, Role.BOARD)
    assert Membership.objects.filter(organisation=org, role=Role.ADMIN).count() == 1


def test_removing_a_member_keeps_their_user_and_their_records(
    client_for, admin, owner, org, engagement
):
    owner.first_name, owner.last_name = "Olive", "Owner"
    owner.save()
    decide(engagement, 1, "go", by=owner)
    client = client_for(admin)
    confirm = client.get(reverse("accounts:member_remove", args=[membership(owner).pk]))
    assert "Remove Olive Owner?" in confirm.content.decode()
    response = client.post(
        reverse("accounts:member_remove", args=[membership(owner).pk]), follow=True
    )
    assert "Olive Owner no longer belongs to Acme." in response.content.decode()
    assert not Membership.objects.filter(user=owner, organisation=org).exists()
    owner.refresh_from_db()  # the account stays: decisions are still attributed to them
    assert engagement.gates.get(number=1).decisions.get().decided_by == owner


def test_a_removed_member_can_no_longer_reach_the_organisation(client_for, admin, owner, org):
    remove(membership(admin), membership(owner).pk)
    assert client_for(owner).get(reverse("engagements:portfolio")).status_code == 403


def test_promoting_a_vendor_contact_drops_their_assignments(admin, vendor, org, owner):
    engagement = make_engagement(org, owner)
    engagement.vendor_contacts.add(membership(vendor))
    change_role(membership(admin), membership(vendor).pk, Role.BOARD)
    assert not engagement.vendor_contacts.exists()


def test_members_link_is_shown_to_admins_only(client_for, admin, owner):
    members = reverse("accounts:members")
    assert members in client_for(admin).get(reverse("engagements:portfolio")).content.decode()
    assert members not in client_for(owner).get(reverse("engagements:portfolio")).content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_admins_demoting_each_other_at_once_leave_one_admin():
    org = Organisation.objects.create(name="Race", slug="race")
    a = membership(make_member(org, Role.ADMIN, "a@race.test"))
    b = membership(make_member(org, Role.ADMIN, "b@race.test"))
    barrier = threading.Barrier(2)
    outcomes = []

    def demote(actor, target):
        barrier.wait()
        try:
            change_role(actor, target.pk, Role.BOARD)
            outcomes.append("demoted")
        except MemberError as exc:
            outcomes.append(str(exc))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=demote, args=(a, b)),
        threading.Thread(target=demote, args=(b, a)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["You are no longer an admin of this organisation.", "demoted"]
    assert Membership.objects.filter(organisation=org, role=Role.ADMIN).count() == 1
