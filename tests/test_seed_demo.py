from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership, Organisation
from engagements.models import Engagement, EngagementStatus, GateDecision


@pytest.fixture(autouse=True)
def development(settings):
    """seed_demo's default password is for development (DEBUG=1, as `make run` sets)."""
    settings.DEBUG = True


def can_log_in(username: str, password: str) -> bool:
    return get_user_model().objects.get(username=username).check_password(password)


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_seed_demo_creates_one_user_per_role_and_prints_the_log_ins():
    output = seed()
    organisation = Organisation.objects.get(slug="demo")
    roles = set(Membership.objects.filter(organisation=organisation).values_list("role", flat=True))
    assert roles == {"admin", "owner", "procurement", "board", "vendor"}
    assert "owner@demo.example" in output and "“demo”" in output
    assert can_log_in("board@demo.example", "demo")


@pytest.mark.django_db
def test_demo_engagements_span_every_phase_with_recorded_decisions():
    seed("--engagements", "7")
    statuses = set(Engagement.objects.values_list("status", flat=True))
    assert {
        EngagementStatus.ACTIVE,
        EngagementStatus.ON_HOLD,
        EngagementStatus.COMPLETED,
        EngagementStatus.STOPPED,
    } <= statuses
    active_phases = {
        e.current_phase.number
        for e in Engagement.objects.prefetch_related("phases")
        if e.current_phase
    }
    assert active_phases == {1, 2, 3}
    assert set(GateDecision.objects.values_list("outcome", flat=True)) == {
        "go",
        "conditional_go",
        "no_go",
        "hold",
        "recycle",
    }


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_honours_the_password():
    seed("--engagements", "4")
    seed("--engagements", "4", "--password", "s3cret-pass")
    assert Engagement.objects.count() == 4
    assert Membership.objects.count() == 5
    assert can_log_in("owner@demo.example", "s3cret-pass")


@pytest.mark.django_db
def test_several_organisations_live_side_by_side():
    seed("--org", "alpha", "--engagements", "3")
    seed("--org", "beta", "--engagements", "2")
    assert Engagement.objects.filter(organisation__slug="alpha").count() == 3
    assert Engagement.objects.filter(organisation__slug="beta").count() == 2
    assert can_log_in("owner@beta.example", "demo")


@pytest.mark.django_db
def test_a_thousand_engagements_are_written_in_bulk():
    """Every module's demo rows go in batched inserts, never a query per row: the queries are
    a small fraction of the rows written. (Timing lives in bench/.)"""
    with CaptureQueriesContext(connection) as queries:
        seed("--engagements", "1000")
    assert Engagement.objects.count() == 1000
    assert GateDecision.objects.count() > 1000
    rows = sum(
        model.objects.count()
        for model in apps.get_app_config("engagements").get_models()
        if not model._meta.label.split(".")[1].startswith("Historical")
    )
    assert rows > 50_000
    assert len(queries) < rows / 50, (len(queries), rows)


@pytest.mark.django_db
@pytest.mark.parametrize("args", [("--org", "Not A Slug"), ("--engagements", "-1")])
def test_bad_arguments_are_refused_with_a_reason(args):
    with pytest.raises(CommandError):
        seed(*args)


@pytest.mark.django_db
def test_seed_demo_refuses_to_touch_a_real_organisation():
    real = Organisation.objects.create(name="Acme", slug="acme")
    with pytest.raises(CommandError, match="not a demo organisation"):
        seed("--org", "acme")
    assert not real.memberships.exists() and not real.engagements.exists()


@pytest.mark.django_db
def test_with_debug_off_the_default_password_is_refused(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="password of your own"):
        seed()
    assert not get_user_model().objects.exists()
    seed("--password", "a-real-secret")
    assert can_log_in("owner@demo.example", "a-real-secret")


@pytest.mark.django_db
def test_every_app_contributes_through_its_demo_module():
    from handover.seeding import contributors

    assert [label for label, _ in contributors()][:2] == ["accounts", "engagements"]
    seed()
    owner = get_user_model().objects.get(username="owner@demo.example")
    assert owner.get_full_name() == "Olivia Owens"
