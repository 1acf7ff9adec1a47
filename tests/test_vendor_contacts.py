"""Assigning vendor contacts to an engagement: the only engagements they ever see."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.roles import Role

from .conftest import make_engagement, make_member


def url(engagement):
    return reverse("engagements:vendor_contacts", args=[engagement.pk])


@pytest.fixture
def contact(org):
    user = make_member(org, Role.VENDOR, email="vic@northwind.test")
    user.first_name, user.last_name = "Vic", "Vance"
    user.save()
    return user.memberships.get()


def test_owner_assigns_a_vendor_contact_who_then_sees_only_that_engagement(
    client_for, owner, org, engagement, contact
):
    other = make_engagement(org, owner, title="Not theirs")
    page = client_for(owner).get(url(engagement)).content.decode()
    assert "Vic Vance (vic@northwind.test)" in page

    response = client_for(owner).post(url(engagement), {"contacts": [contact.pk]}, follow=True)
    assert "Vendor contacts saved: Vic Vance (vic@northwind.test)." in response.content.decode()
    assert list(engagement.vendor_contacts.all()) == [contact]
    # The engagement page names them, for insiders.
    detail = client_for(owner).get(reverse("engagements:detail", args=[engagement.pk]))
    assert "Vendor contacts: Vic Vance" in detail.content.decode()

    vendor = client_for(contact.user)
    assert vendor.get(reverse("engagements:detail", args=[engagement.pk])).status_code == 200
    assert vendor.get(reverse("engagements:detail", args=[other.pk])).status_code == 404

    client_for(owner).post(url(engagement), {})  # nobody ticked: the assignment is removed
    assert not engagement.vendor_contacts.exists()
    vendor = client_for(contact.user)
    assert vendor.get(reverse("engagements:detail", args=[engagement.pk])).status_code == 404


@pytest.mark.parametrize("who", ["board", "outsider_vendor"])
def test_only_the_organisations_vendor_contacts_can_be_assigned(
    client_for, owner, org, other_org, engagement, who
):
    if who == "board":
        candidate = make_member(org, Role.BOARD).memberships.get()
    else:
        candidate = make_member(other_org, Role.VENDOR).memberships.get()
    response = client_for(owner).post(url(engagement), {"contacts": [candidate.pk]})
    assert response.status_code == 422
    assert "no longer a vendor contact here" in response.content.decode()
    assert not engagement.vendor_contacts.exists()


def test_a_vendor_contact_sees_no_colleagues_names(client_for, owner, engagement, contact):
    engagement.vendor_contacts.add(contact)
    page = client_for(contact.user).get(reverse("engagements:detail", args=[engagement.pk]))
    assert "Vendor contacts:" not in page.content.decode()


def test_hostile_names_are_escaped(client_for, owner, engagement, contact):
    contact.user.first_name = "<script>alert(1)</script>"
    contact.user.save()
    engagement.vendor_contacts.add(contact)
    page = client_for(owner).get(reverse("engagements:detail", args=[engagement.pk]))
    body = page.content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


def test_without_vendor_contacts_the_page_says_how_to_get_one(client_for, owner, engagement):
    page = client_for(owner).get(url(engagement)).content.decode()
    assert "Nobody in Acme has the vendor contact role yet" in page


def test_a_contact_made_procurement_meanwhile_is_not_assigned(
    client_for, owner, engagement, contact
):
    from engagements.views.assignments import VendorContactsForm, _assign, vendor_candidates

    form = VendorContactsForm(
        {"contacts": [contact.pk]}, candidates=vendor_candidates(owner.memberships.get())
    )
    assert form.is_valid()
    contact.role = Role.PROCUREMENT  # another admin, between the check and the save
    contact.save()
    assert _assign(engagement, form) is False
    assert "no longer a vendor contact here" in str(form.errors)
    assert not engagement.vendor_contacts.exists()
