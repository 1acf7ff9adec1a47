"""Every URL: anonymous → log-in redirect, another organisation → 404, too-weak role → 403.

`test_every_url_is_in_the_table` fails when a URL is added without a row here.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.roles import Role
from engagements.models import Engagement

from .conftest import make_engagement, make_member, request_job

PUBLIC = {"accounts:login", "accounts:logout"}

# name → (method, args builder, weakest role that is refused, or None when every role may)
TABLE = {
    "engagements:portfolio": ("get", lambda o: [], None),
    "engagements:create": ("get", lambda o: [], Role.PROCUREMENT),
    "engagements:detail": ("get", lambda o: [o["engagement"].pk], None),
    "engagements:edit": ("get", lambda o: [o["engagement"].pk], Role.BOARD),
    "engagements:decide": ("post", lambda o: [o["engagement"].pk, 1], Role.PROCUREMENT),
    "reports:board_summary": ("post", lambda o: [o["gate"].pk], Role.BOARD),
    "reports:job": ("get", lambda o: [o["job"].pk], Role.VENDOR),
    "reports:download": ("get", lambda o: [o["job"].pk], Role.VENDOR),
    "accounts:switch": ("post", lambda o: [], None),
}
# URLs that name an organisation's object (the others act on the member's own organisation).
SCOPED = {
    "engagements:detail",
    "engagements:edit",
    "engagements:decide",
    "reports:board_summary",
    "reports:job",
    "reports:download",
}


def _names(resolver, namespace=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _names(entry, entry.namespace or namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}:{entry.name}" if namespace else entry.name


def test_every_url_is_in_the_table():
    assert set(_names(get_resolver())) == set(TABLE) | PUBLIC


@pytest.fixture
def objects(org, owner):
    engagement = make_engagement(org, owner)
    gate = engagement.gates.get(number=1)
    job = request_job(gate, owner)
    return {"engagement": engagement, "gate": gate, "job": job}


def call(client, name, objects):
    method, args, _ = TABLE[name]
    return getattr(client, method)(reverse(name, args=args(objects)))


@pytest.mark.parametrize("name", sorted(TABLE))
def test_anonymous_is_sent_to_log_in(client, objects, name):
    response = call(client, name, objects)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", sorted(SCOPED))
def test_another_organisations_owner_gets_404(client_for, outsider, objects, name):
    assert call(client_for(outsider), name, objects).status_code == 404


@pytest.mark.parametrize("name", sorted(n for n, row in TABLE.items() if row[2]))
def test_a_too_weak_role_gets_403(client_for, org, objects, name):
    weak = make_member(org, TABLE[name][2])
    response = call(client_for(weak), name, objects)
    assert response.status_code == 403
    assert "does not allow this" in response.content.decode()


def test_a_user_without_membership_gets_403(client_for, objects, django_user_model):
    loner = django_user_model.objects.create_user(username="loner@x.test", password="pw")
    assert call(client_for(loner), "engagements:portfolio", objects).status_code == 403


def test_outsiders_portfolio_does_not_show_our_engagements(client_for, outsider, objects):
    page = call(client_for(outsider), "engagements:portfolio", objects).content.decode()
    assert objects["engagement"].title not in page


def test_unknown_ids_are_404(client_for, owner, objects):
    client = client_for(owner)
    assert client.get(reverse("engagements:detail", args=[999_999])).status_code == 404
    assert client.get(reverse("reports:job", args=[999_999])).status_code == 404


def test_a_member_of_two_organisations_switches_between_them(client_for, org, other_org, owner):
    from accounts.models import Membership

    Membership.objects.create(user=owner, organisation=other_org, role=Role.BOARD)
    ours = make_engagement(org, owner, title="Ours at Acme")
    theirs = make_engagement(other_org, None, title="Theirs at Globex")
    client = client_for(owner)
    assert "Ours at Acme" in client.get(reverse("engagements:portfolio")).content.decode()
    assert client.get(reverse("engagements:detail", args=[theirs.pk])).status_code == 404

    client.post(reverse("accounts:switch"), {"organisation": other_org.pk})
    page = client.get(reverse("engagements:portfolio")).content.decode()
    assert "Theirs at Globex" in page and "Ours at Acme" not in page
    assert client.get(reverse("engagements:detail", args=[ours.pk])).status_code == 404
    # As a board member there, the owner's powers are gone.
    assert client.get(reverse("engagements:edit", args=[theirs.pk])).status_code == 403


def test_switching_to_an_organisation_you_are_not_in_changes_nothing(client_for, owner, other_org):
    client = client_for(owner)
    response = client.post(reverse("accounts:switch"), {"organisation": other_org.pk}, follow=True)
    assert "You are not a member of that organisation." in response.content.decode()
    assert Engagement.objects.filter(organisation=other_org).count() == 0
