"""The reverse proxy in front of the app (deploy/Caddyfile, compose's proxy service), and the
app trusting exactly the proxies that stand in front of it, checked by behaviour."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.roles import Role

from .conftest import make_member
from .test_deploy import (
    APP_SERVICES,
    PROXY,
    ROOT,
    argv,
    django_says,
    environment,
    mounts,
    option,
    production_env,
)

# --- The reverse proxy (deploy/Caddyfile) ------------------------------------------------


def caddy_blocks(text: str) -> list[tuple[list[str], list]]:
    """The Caddyfile as nested (directive words, block) pairs: enough structure to ask what a
    directive inside `reverse_proxy { ... }` does. A lone `{` opens a block, `}` closes it."""
    root: list = []
    stack = [root]
    for line in text.splitlines():
        words = re.sub(r"(^|\s)#.*$", "", line).split()
        if words == ["}"]:
            stack.pop()
        elif words and words[-1] == "{":
            block: list = []
            stack[-1].append((words[:-1], block))
            stack.append(block)
        elif words:
            stack[-1].append((words, []))
    assert len(stack) == 1, "unbalanced braces in the Caddyfile"
    return root


def directives(blocks, name: str):
    """Every directive called `name`, at any depth."""
    for words, inner in blocks:
        if words and words[0] == name:
            yield words, inner
        yield from directives(inner, name)


@pytest.fixture(scope="module")
def caddyfile(services) -> list:
    source = mounts(services[PROXY]).get("/etc/caddy/Caddyfile")
    assert source, "the proxy does not mount its config at /etc/caddy/Caddyfile"
    path = (ROOT / source).resolve()
    assert path.is_file(), f"{source} is not in the repository"
    return caddy_blocks(path.read_text())


def test_only_the_proxy_is_published_and_web_is_reachable_only_behind_it(services):
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {PROXY}, f"services published on the host: {sorted(published)}"
    ports = {str(port).split(":")[-1].split("/")[0] for port in services[PROXY]["ports"]}
    assert {"80", "443"} <= ports
    web = services["web"]
    bind = option(argv(web), "--bind", "-b")
    assert bind and bind.rsplit(":", 1)[1] in {str(port) for port in web.get("expose", [])}


def test_the_proxy_forwards_to_web_on_the_port_gunicorn_binds(services, caddyfile):
    upstreams = [words[1:] for words, _ in directives(caddyfile, "reverse_proxy")]
    assert upstreams, "the proxy forwards nowhere"
    bind_port = option(argv(services["web"]), "--bind", "-b").rsplit(":", 1)[1]
    for targets in upstreams:
        assert targets == [f"web:{bind_port}"], targets


def test_the_proxy_replaces_the_clients_forwarded_headers_instead_of_appending(caddyfile):
    """Caddy's `header_up Name value` sets the header, `+Name` appends: the client's own
    X-Forwarded-For must be replaced by the address the proxy saw, and no downstream address
    may be trusted to pass one in (`trusted_proxies`)."""
    assert not list(directives(caddyfile, "trusted_proxies")), "clients' headers would be kept"
    for _, inner in directives(caddyfile, "reverse_proxy"):
        set_up = {
            words[1].lower(): words[2:] for words, _ in directives(inner, "header_up") if words
        }
        assert not [name for name in set_up if name.startswith("+")], set_up
        assert set_up.get("x-forwarded-for") == ["{remote_host}"], set_up
        assert set_up.get("x-forwarded-proto") == ["{scheme}"], set_up


def test_the_proxy_image_is_a_caddy_that_ignores_untrusted_forwarded_headers(services):
    """Caddy 2.5 stopped trusting incoming X-Forwarded-* from untrusted peers."""
    image, _, tag = services[PROXY]["image"].partition(":")
    assert image == "caddy"
    major, minor = (int(part) for part in tag.split("-")[0].split(".")[:2])
    assert (major, minor) >= (2, 5), tag


def test_compose_trusts_exactly_the_one_proxy_in_front_of_web(services):
    for name in APP_SERVICES:
        assert environment(services[name])["TRUSTED_PROXIES"] == "1", name


def test_without_configured_proxies_the_app_trusts_no_forwarded_header():
    """The settings default stays at 0 proxies: X-Forwarded-For is not read for throttling and
    a forged X-Forwarded-Proto does not make plain HTTP count as HTTPS."""
    is_secure = (
        "from django.conf import settings; from django.test import RequestFactory; "
        "request = RequestFactory().get('/', HTTP_X_FORWARDED_PROTO='https'); "
        "print(settings.TRUSTED_PROXIES, request.is_secure())"
    )
    assert django_says(is_secure, production_env()) == ["0", "False"]
    assert django_says(is_secure, production_env(TRUSTED_PROXIES="1")) == ["1", "True"]
    # So a plain-HTTP request that claims to be HTTPS is still sent to HTTPS.
    redirect = (
        "from django.test import Client; "
        "r = Client().get('/accounts/login/', HTTP_HOST='handover.example.com', "
        "HTTP_X_FORWARDED_PROTO='https'); print(r.status_code, r['Location'])"
    )
    assert django_says(redirect, production_env()) == [
        "301",
        "https://handover.example.com/accounts/login/",
    ]


@pytest.mark.parametrize(
    ("trusted_proxies", "forged"),
    [
        # Behind compose's Caddy: the app takes the right-most entry, the one its proxy set.
        (1, lambda attempt: {"HTTP_X_FORWARDED_FOR": f"10.9.8.{attempt}, 203.0.113.7"}),
        # No proxy configured (the default): X-Forwarded-For is not read at all.
        (0, lambda attempt: {"HTTP_X_FORWARDED_FOR": f"10.9.8.{attempt}"}),
    ],
)
def test_a_rotating_forged_forwarded_for_does_not_escape_the_log_in_lock_out(
    client, org, settings, trusted_proxies, forged
):
    settings.TRUSTED_PROXIES = trusted_proxies
    make_member(org, Role.OWNER, "cto@acme.test")
    statuses = []
    for attempt in range(12):
        response = client.post(
            reverse("accounts:login"),
            {"username": "cto@acme.test", "password": f"wrong-{attempt}"},
            REMOTE_ADDR="172.18.0.5" if trusted_proxies else "203.0.113.7",
            **forged(attempt),
        )
        statuses.append(response.status_code)
    assert statuses[: settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert set(statuses[settings.AXES_FAILURE_LIMIT :]) == {429}, statuses
    right = client.post(
        reverse("accounts:login"),
        {"username": "cto@acme.test", "password": "pw"},
        REMOTE_ADDR="172.18.0.5" if trusted_proxies else "203.0.113.7",
        **forged(99),
    )
    assert right.status_code == 429
