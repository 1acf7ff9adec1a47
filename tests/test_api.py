"""The JSON API: token and session authentication, the projection, pagination, report jobs,
JSON errors for hostile input, the permission check, and the API tokens page."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from ninja import NinjaAPI, Router

from accounts.models import Membership
from accounts.roles import Role
from api.access import requires
from api.checks import check_operations_require_permission
from api.models import ApiToken, hash_token
from engagements.models import Outcome
from reports.models import ReportJob

from .conftest import decide, make_engagement, make_member

LIST = "/api/engagements"
REPORTS = "/api/reports"


def token_for(user, organisation=None, name="CI pipeline") -> str:
    """A fresh API token's secret for `user` in `organisation` (their only one by default)."""
    memberships = user.memberships.all()
    membership = memberships.get(organisation=organisation) if organisation else memberships.get()
    return ApiToken.issue(membership, name)[1]


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def detail_url(engagement) -> str:
    return f"/api/engagements/{engagement.pk}"


# --- Authentication -------------------------------------------------------------------------


def test_without_credentials_the_api_answers_401_json(client, engagement):
    response = client.get(LIST)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert "Authentication required" in response.json()["detail"]
    assert client.get(detail_url(engagement)).status_code == 401


def test_a_token_acts_as_its_member(api, owner, engagement):
    response = api(token_for(owner)).get(detail_url(engagement))
    assert response.status_code == 200
    assert response.json()["title"] == "Support ticket triage"


def test_the_secret_is_stored_only_as_its_hash(owner):
    secret = token_for(owner)
    token = ApiToken.objects.get()
    assert secret.startswith("hov_") and len(secret) == 47
    assert token.key_hash == hash_token(secret) and secret not in token.key_hash
    assert secret.startswith(token.prefix) and len(token.prefix) < 16


def test_last_use_is_stamped_at_most_once_a_minute(api, owner, engagement):
    client = api(token_for(owner))
    client.get(LIST)
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    client.get(LIST)
    assert ApiToken.objects.get().last_used_at == first
    ApiToken.objects.update(last_used_at=first - timedelta(minutes=2))
    client.get(LIST)
    assert ApiToken.objects.get().last_used_at > first - timedelta(seconds=1)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Token abc", "Malformed Authorization header"),
        ("Bearer", "Malformed Authorization header"),
        ("Bearer   ", "Malformed Authorization header"),
        ("Basic dXNlcjpwdw==", "Malformed Authorization header"),
        ("Bearer hov_short", "Malformed API token"),
        ("Bearer " + "x" * 20_000, "Malformed API token"),
        ("Bearer hov_" + "a" * 43 + "'; DROP TABLE", "Malformed API token"),
        ("Bearer hov_" + "a" * 43, "Unknown API token"),
    ],
)
def test_bad_tokens_get_401_with_a_reason(client, owner, engagement, header, reason):
    token_for(owner)
    response = client.get(LIST, headers={"Authorization": header})
    assert response.status_code == 401
    assert reason in response.json()["detail"]


def test_a_bad_token_does_not_fall_back_to_the_session(client_for, owner, engagement):
    client = client_for(owner)
    assert client.get(LIST).status_code == 200
    assert client.get(LIST, headers=bearer("hov_" + "b" * 43)).status_code == 401


def test_a_revoked_token_is_refused(api, owner, engagement):
    secret = token_for(owner)
    ApiToken.objects.get().revoke()
    response = api(secret).get(LIST)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_a_token_stops_working_when_its_member_is_removed(api, owner, engagement):
    secret = token_for(owner)
    assert api(secret).get(LIST).status_code == 200
    Membership.objects.filter(user=owner).delete()
    assert api(secret).get(LIST).status_code == 401


def test_a_token_of_a_disabled_account_is_refused(api, owner, engagement):
    secret = token_for(owner)
    owner.is_active = False
    owner.save()
    response = api(secret).get(LIST)
    assert response.status_code == 401 and "disabled" in response.json()["detail"]


def test_a_token_acts_only_in_its_own_organisation(api, client_for, org, other_org, owner):
    """The owner belongs to both organisations; their Acme token cannot reach Globex, even
    while their session has Globex open."""
    Membership.objects.create(user=owner, organisation=other_org, role=Role.OWNER)
    ours = make_engagement(org, owner, title="Ours at Acme")
    theirs = make_engagement(other_org, owner, title="Theirs at Globex")
    secret = token_for(owner, org)
    client = api(secret)
    assert client.get(detail_url(ours)).status_code == 200
    response = client.get(detail_url(theirs))
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}
    assert [e["title"] for e in client.get(LIST).json()["items"]] == ["Ours at Acme"]

    session = client_for(owner)
    session.post(reverse("accounts:switch"), {"organisation": other_org.pk})
    assert session.get(detail_url(theirs)).status_code == 200
    assert session.get(detail_url(ours), headers=bearer(secret)).status_code == 200
    assert session.get(detail_url(theirs), headers=bearer(secret)).status_code == 404


def test_session_reads_need_no_csrf_token(client_for, board, engagement):
    assert client_for(board).get(detail_url(engagement)).status_code == 200


def report_body(gate) -> dict:
    return {"kind": "board_gate_summary", "subject_id": gate.pk}


def test_a_session_write_without_the_csrf_token_is_refused(owner, reached_gate):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post(REPORTS, report_body(reached_gate), content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not ReportJob.objects.exists()


def test_a_session_write_with_the_csrf_token_is_accepted(owner, reached_gate):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    client.get(reverse("tokens:list"))  # any page sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    response = client.post(
        REPORTS,
        report_body(reached_gate),
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )
    assert response.status_code == 202
    assert ReportJob.objects.get().requested_by == owner


def test_a_token_write_needs_no_csrf_token(owner, reached_gate):
    client = Client(enforce_csrf_checks=True, headers=bearer(token_for(owner)))
    response = client.post(REPORTS, report_body(reached_gate), content_type="application/json")
    assert response.status_code == 202


# --- Projection and lists ---------------------------------------------------------------------


def test_vendor_contacts_do_not_receive_budgets_or_reasons(api, owner, assigned_vendor, engagement):
    engagement.outsourcing_reason = "No ML team in-house."
    engagement.save()
    insider = api(token_for(owner)).get(detail_url(engagement)).json()
    assert insider["budget"] == "250000.00"
    assert insider["outsourcing_reason"] == "No ML team in-house."

    outsider = api(token_for(assigned_vendor)).get(detail_url(engagement)).json()
    assert outsider["title"] == insider["title"]
    assert "budget" not in outsider and "outsourcing_reason" not in outsider
    row = api(token_for(assigned_vendor, name="second")).get(LIST).json()["items"][0]
    assert "budget" not in row
    assert "250000" not in json.dumps(outsider) + json.dumps(row)


def test_vendor_contacts_do_not_receive_deliberations(api, owner, assigned_vendor, engagement):
    keeper = make_member(engagement.organisation, Role.BOARD, email="keeper@acme.test")
    engagement.gates.get(number=1).gatekeepers.add(keeper.memberships.get())
    secrets = {"override_reason": "Board override.", "vote_reason": "Keeper on leave."}
    decide(
        engagement,
        1,
        Outcome.GO,
        owner,
        rationale="Secret board debate.",
        attendees="CFO",
        **secrets,
    )
    for path in ("gates", "decisions"):
        url = f"{detail_url(engagement)}/{path}"
        insider = api(token_for(owner, name=path)).get(url).json()
        kept = insider[0]["decisions"][0] if path == "gates" else insider[0]
        assert {name: kept[name] for name in secrets} == secrets
        insider = json.dumps(insider)
        assert "Secret board debate." in insider and "CFO" in insider
        response = api(token_for(assigned_vendor, name=path)).get(url)
        assert response.status_code == 200
        body = response.json()
        decision = body[0]["decisions"][0] if path == "gates" else body[0]
        assert decision["outcome"] == "go" and decision["gate"] == 1
        assert not {"rationale", "attendees", "override_reason", "vote_reason"} & set(decision)
        assert "Secret board debate." not in json.dumps(body) and "leave" not in json.dumps(body)


def test_a_vendor_contact_lists_only_the_engagements_assigned_to_them(api, org, owner, vendor):
    assigned = make_engagement(org, owner, title="Assigned to the vendor")
    make_engagement(org, owner, title="Not theirs")
    assigned.vendor_contacts.add(vendor.memberships.get())
    titles = [e["title"] for e in api(token_for(vendor)).get(LIST).json()["items"]]
    assert titles == ["Assigned to the vendor"]
    assert api(token_for(owner)).get(LIST).json()["count"] == 2


def test_decisions_name_the_decider_never_their_email(api, owner, engagement):
    owner.first_name, owner.last_name = "Ada", "Lovelace"
    owner.save()
    decide(engagement, 1, Outcome.GO, owner)
    decisions = api(token_for(owner)).get(f"{detail_url(engagement)}/decisions").json()
    assert decisions[0]["decided_by"] == "Ada Lovelace"


def test_phases_come_in_order(api, owner, engagement):
    phases = api(token_for(owner)).get(f"{detail_url(engagement)}/phases").json()
    assert [p["number"] for p in phases] == [1, 2, 3]
    assert phases[0]["name"] == "Discovery & PoC"


def test_the_list_is_paginated(api, org, owner):
    for n in range(5):
        make_engagement(org, owner, title=f"Engagement {n}")
    client = api(token_for(owner))
    first = client.get(LIST, {"page_size": 2}).json()
    assert (first["count"], first["pages"], len(first["items"])) == (5, 3, 2)
    assert first["items"][0]["title"] == "Engagement 4"  # newest first
    last = client.get(LIST, {"page_size": 2, "page": 3}).json()
    assert [e["title"] for e in last["items"]] == ["Engagement 0"]
    assert client.get(LIST, {"page": 40}).json()["items"] == []


@pytest.mark.parametrize("size", [1, 8])
def test_the_list_takes_a_constant_number_of_queries(
    api, org, owner, size, django_assert_num_queries
):
    for n in range(size):
        make_engagement(org, owner, title=f"Engagement {n}")
    client = api(token_for(owner))
    client.get(LIST)  # the first use stamps the token's last use: one write, not each time
    # The token (with its member, user and organisation); the count; the page; its phases;
    # their milestones (for_portfolio prefetches them for the portfolio's health).
    with django_assert_num_queries(5):
        response = client.get(LIST)
    assert len(response.json()["items"]) == size


@pytest.mark.parametrize(
    "query",
    [
        {"page": "abc"},
        {"page": "0"},
        {"page": "-3"},
        {"page": "99999999999999999999999"},
        {"page_size": "1000"},
        {"page_size": "1.5"},
        {"page": "1" * 20_000},
    ],
)
def test_malformed_pagination_is_a_422_naming_the_parameter(api, owner, query):
    response = api(token_for(owner)).get(LIST, query)
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert errors[0]["loc"][-1] in query


@pytest.mark.parametrize("bad_id", ["abc", "0", "-1", str(2**70), "1.5", "x" * 20_000])
def test_malformed_ids_are_422_not_500(api, owner, bad_id):
    response = api(token_for(owner)).get(f"/api/engagements/{bad_id}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "engagement_id"]


@pytest.mark.parametrize(
    "path", ["/api/nothing", "/api/docs/", "/api/engagements/", "/api/reports/"]
)
def test_an_unknown_route_is_404_json(api, owner, path):
    for method in ("get", "post"):
        response = getattr(api(token_for(owner, name=method)), method)(path)
        assert response.status_code == 404
        assert response.json() == {"detail": "No such API route: see /api/docs."}


@pytest.mark.parametrize(("method", "path"), [("delete", LIST), ("put", "/api/engagements/1")])
def test_a_method_a_route_does_not_take_is_405_json(api, owner, method, path):
    response = getattr(api(token_for(owner)), method)(path)
    assert response.status_code == 405 and response["Allow"] == "GET"
    assert "not allowed" in response.json()["detail"]


def test_a_huge_body_is_413_json(api, owner):
    body = b'{"kind": "' + b"a" * 3_000_000 + b'", "subject_id": 1}'
    response = api(token_for(owner)).post(REPORTS, body, content_type="application/json")
    assert response.status_code == 413 and response.json()["detail"]
    assert not ReportJob.objects.exists()


def test_the_root_points_at_the_description(client):
    assert client.get("/api/").json() == {"docs": "/api/docs", "openapi": "/api/openapi.json"}


def test_an_unknown_id_is_404_json(api, owner):
    response = api(token_for(owner)).get("/api/engagements/999999")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}


def test_a_too_weak_role_gets_403_with_the_reason(api, board, reached_gate):
    response = api(token_for(board)).post(
        REPORTS, report_body(reached_gate), content_type="application/json"
    )
    assert response.status_code == 403
    assert "does not allow this" in response.json()["detail"]


# --- Description and docs ------------------------------------------------------------------------


def test_the_openapi_description_lists_the_routes(client_for, vendor):
    schema = client_for(vendor).get("/api/openapi.json").json()
    assert {LIST, "/api/engagements/{engagement_id}", REPORTS} <= set(schema["paths"])
    assert {"TokenAuth", "SessionAuth"} <= set(schema["components"]["securitySchemes"])


def test_the_docs_are_for_members_and_load_nothing_from_elsewhere(client, client_for, owner):
    assert client.get("/api/docs").status_code == 302
    page = client_for(owner).get("/api/docs")
    html = page.content.decode()
    assert page.status_code == 200 and '<html lang="en">' in html
    assert "/static/ninja/swagger-ui-bundle.js" in html and "cdn" not in html.lower()
    assert "script-src 'self'" in page["Content-Security-Policy"]


# --- The permission check ---------------------------------------------------------------------


def test_every_route_of_the_api_declares_a_permission():
    assert check_operations_require_permission() == []


def test_the_check_fires_on_a_route_without_a_permission():
    router = Router()

    @router.get("/open")
    def wide_open(request):
        return {}

    @router.get("/guarded")
    @requires("engagement.view")
    def guarded(request):
        return {}

    throwaway = NinjaAPI(urls_namespace="throwaway-api")
    throwaway.add_router("/things/", router)
    errors = check_operations_require_permission(throwaway)
    assert [e.id for e in errors] == ["api.E001"]
    assert "/api/things/open" in errors[0].msg and "wide_open" in errors[0].msg


def test_an_unknown_permission_is_refused_at_once():
    with pytest.raises(ValueError, match="unknown permission"):
        requires("engagement.fly")
