"""Personas per role (owner, admin, procurement, board, vendor) in the Acme organisation, an
outsider who is the owner of another organisation, and plain factories."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections

from accounts.models import Membership, Organisation
from accounts.roles import Role
from engagements.actions import create_engagement, record_decision
from engagements.models import Engagement, Kpi
from handover.celery import app as celery_app
from reports.models import ReportJob

from .browsing import CHROMIUM, LAUNCH_ARGS, new_page, skip_without_chromium

IN_CI = os.environ.get("CI") == "true"


def pytest_sessionstart(session):
    """In CI the suite must run on the real services; a missing one fails, never skips."""
    if not IN_CI:
        return
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        pytest.exit("CI=true but DATABASE_URL does not point at PostgreSQL", returncode=3)
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.exit("CI=true but CELERY_BROKER_URL does not point at Redis", returncode=3)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """After the session, end connections that live-server request threads still hold on
    keep-alive sockets, so PostgreSQL can drop the test database."""
    yield
    with django_db_blocker.unblock():
        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


def make_member(organisation: Organisation, role: str, email: str | None = None):
    email = email or f"{role}@{organisation.slug}.test"
    user = get_user_model().objects.create_user(username=email, email=email, password="pw")
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


def make_engagement(organisation: Organisation, owner=None, **overrides) -> Engagement:
    fields = {
        "title": "Support ticket triage",
        "business_problem": "Too many manual tickets.",
        "vendor_name": "Northwind ML",
        "budget": Decimal("250000"),
        "start_date": date(2026, 1, 5),
    }
    fields |= overrides
    engagement = Engagement(organisation=organisation, created_by=owner, **fields)
    kpi = Kpi(
        name="Manual tickets", baseline=1200, target=720, unit="a month", higher_is_better=False
    )
    return create_engagement(engagement, [kpi])


def decide(engagement, number, outcome, by, on=date(2026, 3, 2), rationale="Because.", **extra):
    """Record a decision at gate `number` of `engagement`, as the view would.

    Tests that are not about evidence decide without any: unless the caller gives one, an
    override reason ("Decided in a test without evidence.") goes with the decision, so a Go
    over unmet must-meet criteria is recorded (the reason is kept only when it overrides).
    """
    extra.setdefault("override_reason", "Decided in a test without evidence.")
    gate = engagement.gates.get(number=number)
    return record_decision(
        gate, outcome=outcome, rationale=rationale, decided_by=by, decided_on=on, **extra
    )


def request_job(gate, by) -> ReportJob:
    """A queued board-summary job for `gate`, as the Board PDF button creates it."""
    return ReportJob.request(
        kind="board_gate_summary",
        subject=gate,
        organisation=gate.engagement.organisation,
        requested_by=by,
        title="Board go/no-go summary",
    )


@pytest.fixture
def org(db):
    return Organisation.objects.create(name="Acme", slug="acme")


@pytest.fixture
def other_org(db):
    return Organisation.objects.create(name="Globex", slug="globex")


@pytest.fixture
def owner(org):
    return make_member(org, Role.OWNER)


@pytest.fixture
def admin(org):
    return make_member(org, Role.ADMIN)


@pytest.fixture
def procurement(org):
    return make_member(org, Role.PROCUREMENT)


@pytest.fixture
def board(org):
    return make_member(org, Role.BOARD)


@pytest.fixture
def vendor(org):
    return make_member(org, Role.VENDOR)


@pytest.fixture
def outsider(other_org):
    """The owner of another organisation: strong role, wrong tenant."""
    return make_member(other_org, Role.OWNER)


@pytest.fixture
def decided_gate(engagement, owner):
    """Gate 1 of `engagement`, decided Go: a gate a board PDF can be made of."""
    from engagements.models import Outcome

    return decide(engagement, 1, Outcome.GO, owner).gate


@pytest.fixture
def assigned_vendor(vendor, engagement):
    """The vendor contact, assigned to `engagement`: the one engagement they may reach."""
    engagement.vendor_contacts.add(vendor.memberships.get())
    return vendor


@pytest.fixture
def engagement(org, owner):
    return make_engagement(org, owner)


@pytest.fixture
def client_for(client):
    """`client_for(user)` → the test client logged in as that user."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture(autouse=True)
def eager_tasks_unless_real_worker(request):
    """Tasks run in-process, except in tests that ask for `real_worker`."""
    if "real_worker" in request.fixturenames:
        yield
        return
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = saved


def _close_worker_connections(**kwargs):
    # The worker thread's database connection must not outlive the test database.
    connections.close_all()


@pytest.fixture
def real_worker(settings, tmp_path, transactional_db):
    """A real Celery worker thread consuming from the broker (Redis in CI, kombu's in-memory
    transport locally) — the pipeline as production runs it, not eager mode."""
    settings.MEDIA_ROOT = tmp_path
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    queues = ["celery", "reports"]
    with celery_app.connection_for_write() as connection:
        for queue in queues:  # messages left by an earlier, interrupted run
            connection.default_channel.queue_purge(queue)
    task_postrun.connect(_close_worker_connections, weak=False)
    try:
        with start_worker(
            celery_app,
            pool="solo",
            perform_ping_check=False,
            queues=queues,
            shutdown_timeout=30,
        ) as worker:
            yield worker
    finally:
        task_postrun.disconnect(_close_worker_connections)
        celery_app.conf.task_always_eager = saved


@pytest.fixture
def mail_via_worker(settings, mailoutbox):
    """Mail as production sends it: `handover.mail` queues each message once the transaction
    commits (wrap the request in `django_capture_on_commit_callbacks(execute=True)` outside a
    live server), and the eager task delivers it into `mail.outbox` (locmem)."""
    settings.EMAIL_BACKEND = "handover.mail.CeleryEmailBackend"
    return mailoutbox


# --- Browser tests (Playwright driving Debian's Chromium) ----------------------------------


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    skip_without_chromium()
    # Playwright's sync API keeps an event loop running in this thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A laptop-sized page that collects console errors (see `browsing.new_page`)."""
    page = new_page(browser, accept_downloads=True)
    yield page
    page.context.close()


# --- The deployment files (tests/test_deploy*.py) -----------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    """docker-compose.yml, as data."""
    import yaml

    return yaml.safe_load((Path(settings.BASE_DIR) / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


# --- The JSON API (tests/test_api*.py) ----------------------------------------------------


@pytest.fixture
def api():
    """`api(secret)` → a client whose requests carry that API token."""
    from django.test import Client

    def with_token(secret):
        return Client(headers={"Authorization": f"Bearer {secret}"})

    return with_token


@pytest.fixture
def reached_gate(engagement):
    """Gate 1 of the `engagement` fixture: reached from the start, so reports may be asked."""
    return engagement.gates.get(number=1)


@pytest.fixture
def gate(engagement, owner, board, procurement):
    """Gate 1 with three gatekeepers (owner, board member, procurement), majority rule."""
    from engagements.enums import VoteRule
    from engagements.votes import set_gatekeepers

    gate = engagement.gates.get(number=1)
    members = [u.memberships.get() for u in (owner, board, procurement)]
    set_gatekeepers(gate, members, VoteRule.MAJORITY, by=owner)
    return gate
