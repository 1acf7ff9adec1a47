"""Every JSON API route, generated from the API's operations (as test_tenancy.py is from the URL
patterns): anonymous → 401, another organisation's token (holding the permission) → 404, an
unassigned vendor contact → 404, a too-weak role → 403, and the right member → success.

The permission each route needs is read from its view (`api.access.requires`). A route that
takes an id (a path parameter, or a body naming objects) fails
`test_every_route_with_an_id_has_a_fixture` until `ARGS` says how to call it.
"""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from accounts.roles import PERMISSIONS, Role, role_can, weakest_refused
from api.checks import operations
from api.models import ApiToken
from api.site import get_api
from reports.models import JobStatus

from .conftest import make_engagement, make_member, request_job

# URL name → (path parameters, JSON body or None), built from the `objects` fixture below.
ARGS = {
    "engagement_detail": lambda o: ({"engagement_id": o["engagement"].pk}, None),
    "engagement_phases": lambda o: ({"engagement_id": o["engagement"].pk}, None),
    "engagement_gates": lambda o: ({"engagement_id": o["engagement"].pk}, None),
    "engagement_decisions": lambda o: ({"engagement_id": o["engagement"].pk}, None),
    "gate_readiness": lambda o: ({"engagement_id": o["engagement"].pk, "number": 1}, None),
    # A week after the fixture engagement's start (5 Jan 2026): a report it may receive.
    "weekly_report_create": lambda o: (
        {"engagement_id": o["engagement"].pk},
        {"year": 2026, "week": 3, "summary": "Baseline trained.", "hours": 40},
    ),
    "weekly_report_put": lambda o: (
        {"engagement_id": o["engagement"].pk, "year": 2026, "week": 3},
        {"summary": "Baseline trained.", "hours": 40},
    ),
    "report_request": lambda o: ({}, {"kind": "board_gate_summary", "subject_id": o["gate"].pk}),
    "report_job": lambda o: ({"job_id": o["job"].pk}, None),
    "report_download": lambda o: ({"job_id": o["job"].pk}, None),
}


def api_routes():
    """(URL name, method, permission, takes an id) for every operation of the API."""
    for route, methods, operation in operations(get_api()):
        name = getattr(operation, "url_name", None) or operation.view_func.__name__
        for method in methods:
            takes_id = "{" in route or method != "GET"
            yield name, method, operation.view_func.required_permission, takes_id


ROUTES = {name: (method, perm, takes_id) for name, method, perm, takes_id in api_routes()}
SCOPED = sorted(name for name, (_, _, takes_id) in ROUTES.items() if takes_id)
REFUSABLE = sorted(name for name, (_, perm, _) in ROUTES.items() if weakest_refused(perm))
VENDOR_SCOPED = sorted(name for name in SCOPED if role_can(Role.VENDOR, ROUTES[name][1]))


def test_every_route_with_an_id_has_a_fixture():
    assert set(SCOPED) <= set(ARGS), f"add ARGS rows for {sorted(set(SCOPED) - set(ARGS))}"


def test_the_generator_finds_the_routes():
    assert {"engagement_list", "engagement_detail", "report_request", "report_download"} <= set(
        ROUTES
    )


@pytest.fixture
def objects(org, owner, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    engagement = make_engagement(org, owner)
    gate = engagement.gates.get(number=1)
    job = request_job(gate, owner)
    job.file.save("report.pdf", ContentFile(b"%PDF-1.4 test"), save=False)
    job.status, job.progress = JobStatus.DONE, 100
    job.save()
    return {"engagement": engagement, "gate": gate, "job": job}


def call(client: Client, name: str, objects, headers=None):
    kwargs, body = ARGS[name](objects) if name in ARGS else ({}, None)
    url = reverse(f"api:{name}", kwargs=kwargs)
    method = ROUTES[name][0].lower()
    if body is None:
        return getattr(client, method)(url, headers=headers or {})
    return getattr(client, method)(
        url, body, content_type="application/json", headers=headers or {}
    )


def as_member(user, organisation=None) -> Client:
    membership = user.memberships.get(**({"organisation": organisation} if organisation else {}))
    secret = ApiToken.issue(membership, "tenancy")[1]
    return Client(headers={"Authorization": f"Bearer {secret}"})


def strongest(perm: str) -> str:
    return sorted(PERMISSIONS[perm])[0]


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_anonymous_gets_401(client, objects, name):
    response = call(client, name, objects)
    assert response.status_code == 401
    assert "Authentication required" in response.json()["detail"]


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_a_member_holding_the_permission_succeeds(org, objects, name):
    member = make_member(org, strongest(ROUTES[name][1]), email=f"strong-{name}@acme.test")
    response = call(as_member(member), name, objects)
    assert 200 <= response.status_code < 300, response.content[:300]


@pytest.mark.parametrize("name", SCOPED)
def test_another_organisations_member_gets_404(other_org, objects, name):
    role = strongest(ROUTES[name][1])
    outsider = make_member(other_org, role, email=f"outsider-{role}@globex.test")
    response = call(as_member(outsider), name, objects)
    assert response.status_code == 404
    assert response.json()["detail"]


@pytest.mark.parametrize("name", VENDOR_SCOPED)
def test_a_vendor_contact_not_assigned_to_the_engagement_gets_404(vendor, objects, name):
    assert call(as_member(vendor), name, objects).status_code == 404
    objects["engagement"].vendor_contacts.add(vendor.memberships.get())
    assert call(as_member(vendor), name, objects).status_code in (200, 201)  # 201: created


@pytest.mark.parametrize("name", REFUSABLE)
def test_a_too_weak_role_gets_403(org, objects, name):
    weak = make_member(org, weakest_refused(ROUTES[name][1]))
    if weak.memberships.get().is_vendor:
        # Even assigned to the engagement, a vendor contact's role is what refuses it.
        objects["engagement"].vendor_contacts.add(weak.memberships.get())
    response = call(as_member(weak), name, objects)
    assert response.status_code == 403
    assert "does not allow this" in response.json()["detail"]
