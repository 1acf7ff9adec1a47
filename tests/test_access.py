"""The one access call: `restrict(membership, action)` joins the role's permission and the row
scope, fails closed, and withholds internal fields from roles that may not read them."""

from __future__ import annotations

import pytest
from django.core import checks
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse

from accounts import checks as access_checks
from accounts.checks import check_models_declare_scope, check_views_require_permission
from accounts.models import Membership
from accounts.roles import ALL, PERMISSIONS, Role
from accounts.tenancy import RestrictedPrefetch, WithheldFieldError, scope_of
from engagements.models import Engagement, Gate, GateDecision, Kpi, Outcome, Phase
from reports.models import ReportJob

from .conftest import decide, make_engagement, make_member, request_job

ENGAGEMENT_MODELS = [Engagement, Phase, Gate, GateDecision, Kpi]


def membership_of(user) -> Membership:
    return user.memberships.get()


@pytest.fixture
def two_engagements(org, owner, vendor):
    reason = "Board wants a second opinion before hiring."
    assigned = make_engagement(
        org, owner, title="Assigned to the vendor", outsourcing_reason=reason
    )
    other = make_engagement(org, owner, title="Not assigned", outsourcing_reason=reason)
    assigned.vendor_contacts.add(membership_of(vendor))
    for engagement in (assigned, other):
        decide(engagement, 1, Outcome.GO, owner, rationale="Secret deliberation.")
    return assigned, other


@pytest.mark.parametrize("model", ENGAGEMENT_MODELS, ids=lambda m: m.__name__)
def test_a_vendor_contact_reaches_exactly_the_assigned_engagements_records(
    model, two_engagements, vendor, owner
):
    assigned, other = two_engagements
    lookup = scope_of(model).vendor.removesuffix("vendor_contacts") + "pk"
    visible = model.objects.restrict(membership_of(vendor))
    everything = model.objects.restrict(membership_of(owner))
    assert visible.exists()
    assert set(visible.values_list(lookup, flat=True)) == {assigned.pk}
    assert set(everything.values_list(lookup, flat=True)) == {assigned.pk, other.pk}


def test_internal_fields_are_never_selected_for_a_vendor_contact(two_engagements, vendor):
    membership = membership_of(vendor)
    with CaptureQueriesContext(connection) as queries:
        engagement = (
            Engagement.objects.restrict(membership)
            .with_plan(membership)
            .get(pk=two_engagements[0].pk)
        )
        decision = engagement.gate_list[0].decision_list[0]
        # Reading them afterwards does not fetch them either: they read as None.
        assert engagement.budget is None and engagement.outsourcing_reason is None
        assert decision.rationale is None and decision.attendees is None
        assert decision.get_outcome_display() == "Go"
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert '"budget"' not in sql and '"rationale"' not in sql
    assert "outsourcing_reason" not in sql and '"attendees"' not in sql


def test_insiders_read_internal_fields(two_engagements, board):
    engagement = Engagement.objects.restrict(membership_of(board)).get(pk=two_engagements[0].pk)
    assert engagement.budget == 250000
    decision = GateDecision.objects.restrict(membership_of(board)).first()
    assert decision.rationale == "Secret deliberation."


def test_a_withheld_field_is_never_saved_over(two_engagements, vendor):
    engagement = Engagement.objects.restrict(membership_of(vendor)).get(pk=two_engagements[0].pk)
    assert engagement.budget is None
    engagement.title = "Renamed"
    engagement.save()  # saves what it read, not the withheld budget
    fresh = Engagement.objects.get(pk=engagement.pk)
    assert fresh.title == "Renamed" and fresh.budget == 250000
    with pytest.raises(WithheldFieldError):
        engagement.save(update_fields=["budget"])


def test_without_the_permission_there_are_no_rows(two_engagements, board, vendor, org, owner):
    # Board members may view engagements but not edit them; vendors may not view reports.
    assert not Engagement.objects.restrict(membership_of(board), "edit").exists()
    assert Engagement.objects.restrict(membership_of(board), "view").count() == 2
    request_job(two_engagements[0].gates.get(number=1), owner)
    assert ReportJob.objects.restrict(membership_of(owner)).count() == 1
    assert not ReportJob.objects.restrict(membership_of(vendor)).exists()
    assert not Engagement.objects.restrict(None).exists()


def test_a_model_without_a_vendor_path_is_invisible_to_vendor_contacts(
    two_engagements, owner, vendor, monkeypatch
):
    request_job(two_engagements[0].gates.get(number=1), owner)
    # Even a role table that let vendor contacts view reports would not show them one:
    # ReportJob declares no vendor path.
    monkeypatch.setitem(PERMISSIONS, "report.view", ALL)
    assert scope_of(ReportJob).vendor is None
    assert ReportJob.objects.restrict(membership_of(owner)).count() == 1
    assert not ReportJob.objects.restrict(membership_of(vendor)).exists()


def test_another_organisation_sees_nothing(two_engagements, outsider):
    for model in ENGAGEMENT_MODELS:
        assert not model.objects.restrict(membership_of(outsider)).exists()


def test_restricted_prefetch_scopes_related_rows(two_engagements, vendor):
    membership = membership_of(vendor)
    engagements = Engagement.objects.restrict(membership).prefetch_related(
        RestrictedPrefetch("kpis", membership, Kpi.objects.all())
    )
    assert [kpi.name for e in engagements for kpi in e.kpis.all()] == ["Manual tickets"]


def test_vendor_pages_and_partials_show_no_internal_field(
    client_for, two_engagements, vendor, owner
):
    assigned, other = two_engagements
    # What the vendor must not see, the owner does see on the same page.
    insider = client_for(owner).get(reverse("engagements:detail", args=[assigned.pk]))
    insider_body = insider.content.decode()
    assert "Secret deliberation." in insider_body and "$250,000" in insider_body
    assert "Board wants a second opinion" in insider_body
    client = client_for(vendor)
    for kwargs in ({}, {"HTTP_HX_REQUEST": "true"}):
        page = client.get(reverse("engagements:detail", args=[assigned.pk]), **kwargs)
        body = page.content.decode()
        assert page.status_code == 200 and "Assigned to the vendor" in body
        assert "Secret deliberation." not in body and "250,000" not in body
        assert "Board wants a second opinion" not in body
    assert client.get(reverse("engagements:detail", args=[other.pk])).status_code == 404
    portfolio = client.get(reverse("engagements:portfolio")).content.decode()
    assert "Assigned to the vendor" in portfolio and "Not assigned" not in portfolio


# --- the system checks that keep it closed -------------------------------------------------


def test_every_model_of_ours_passes_the_scope_check():
    assert check_models_declare_scope() == []


def test_the_check_fires_on_a_model_without_a_scope(monkeypatch):
    monkeypatch.delattr(Kpi, "scope")
    errors = check_models_declare_scope()
    assert [e.id for e in errors] == ["accounts.E002"]
    assert "engagements.Kpi" in errors[0].msg


def unguarded_view(request):
    return None


urlpatterns = [path("unguarded/", unguarded_view, name="unguarded")]


def test_the_check_fires_on_a_view_without_a_permission(settings):
    assert check_views_require_permission() == []
    settings.ROOT_URLCONF = __name__
    errors = check_views_require_permission()
    assert [e.id for e in errors] == ["accounts.E001"] and "/unguarded/" in errors[0].msg
    # …and it is registered, so `manage.py check` (and `make test`) fails on it.
    assert any(e.id == "accounts.E001" for e in checks.run_checks(tags=["urls"]))


def test_the_checks_are_registered():
    registered = checks.registry.registry.get_checks()
    assert access_checks.check_views_require_permission in registered
    assert access_checks.check_models_declare_scope in registered


def test_a_member_outside_the_organisation_cannot_be_scoped_in(org, other_org):
    stranger = make_member(other_org, Role.ADMIN)
    assert not Membership.objects.restrict(membership_of(stranger)).filter(organisation=org)
