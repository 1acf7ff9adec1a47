"""The demo's invoices and change requests: every status, invoices over time per phase, the
plan moved by the approved changes, the scope-creep warning on some engagements, and a second
run adds nothing."""

from __future__ import annotations

from datetime import date

from accounts.roles import Role
from engagements.demo import seed_engagements
from engagements.demo.spend import seed_spend_and_changes
from engagements.models import ChangeRequest, Engagement, Invoice, Phase
from engagements.money import change_totals, plan_end, scope_creep_warnings

from .conftest import make_member

TODAY = date(2026, 11, 2)


def test_demo_spend_and_change_requests(org):
    members = {
        role: make_member(org, role).memberships.get()
        for role in (Role.OWNER, Role.PROCUREMENT, Role.VENDOR)
    }
    seed_engagements(org, 8, members[Role.OWNER], members[Role.VENDOR], TODAY)
    engagements = list(Engagement.objects.filter(organisation=org))
    seed_spend_and_changes(engagements, members, TODAY)

    assert set(ChangeRequest.objects.values_list("status", flat=True)) == {
        "proposed",
        "approved",
        "rejected",
        "withdrawn",
    }
    assert Invoice.objects.count() > 20
    assert not Invoice.objects.filter(date__gt=TODAY).exists()
    assert all(
        i.date >= i.engagement.start_date for i in Invoice.objects.select_related("engagement")
    )
    # Vendor contacts propose only on the engagements assigned to them.
    vendor_user = members[Role.VENDOR].user
    for change in ChangeRequest.objects.filter(requested_by=vendor_user):
        assert change.engagement.vendor_contacts.filter(pk=members[Role.VENDOR].pk).exists()
    moved = ChangeRequest.objects.filter(status="approved", plan_end_after__isnull=False)
    assert moved.exists()
    for change in moved:
        phases = list(Phase.objects.filter(engagement=change.engagement))
        assert all(p.planned_end > p.planned_start for p in phases)
    creeping = [
        e
        for e in engagements
        if scope_creep_warnings(
            change_totals(list(e.change_requests.all()), with_money=True),
            (plan_end(e.phases.all()) - e.start_date).days / 7,
            e.budget,
        )
    ]
    assert creeping

    counts = (Invoice.objects.count(), ChangeRequest.objects.count())
    seed_spend_and_changes(engagements, members, TODAY)
    assert (Invoice.objects.count(), ChangeRequest.objects.count()) == counts
