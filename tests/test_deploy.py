"""The production stack does what it claims, checked as behaviour rather than as text.

docker-compose.yml is parsed as data and its settings are run through the app; the proxy's
config is parsed and its effect on the app is exercised; the settings are started in a
subprocess with the environments they must refuse or accept; `make worker` and `make beat`
are run exactly as the README shows; the Dockerfile's own collectstatic step is run, and every
main page is rendered with its output and the production static storage. No Docker needed.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
import yaml
from celery import Celery
from django.conf import settings
from django.core.management import get_commands
from django.db.utils import OperationalError
from django.urls import resolve, reverse

from accounts.checks import routes
from accounts.roles import PERMISSIONS, Role
from handover import health

from .conftest import IN_CI, make_member, request_job

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
README = ROOT / "README.md"
APP_SERVICES = ("web", "worker", "beat")
ONE_SHOT_SERVICES = ("migrate",)
BACKING_SERVICES = ("postgres", "redis")
PROXY = "proxy"
MAKE = shutil.which("make") or "/usr/bin/make"
# Variables that would change what a subprocess checks; it must see only what a test gives.
CONFIG_VARS = (
    "DATABASE_URL",
    "SQLITE_PATH",
    "CELERY_BROKER_URL",
    "TASKS_IN_PROCESS",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "TRUSTED_PROXIES",
    "SECURE_SSL_REDIRECT",
    "SECURE_COOKIES",
    "SECURE_HSTS_SECONDS",
    "STATIC_ROOT",
    "MEDIA_ROOT",
    "EMAIL_HOST",
    "EMAIL_BACKEND",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # the browser tests' setting, refused by check --deploy
    "BEAT_SCHEDULE",
)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def argv(service: dict) -> list[str]:
    """The service's command as words; `sh -c "a && b"` contributes the words of a and b."""
    command = service.get("command") or []
    words = shlex.split(command) if isinstance(command, str) else [str(w) for w in command]
    if words[:2] == ["sh", "-c"] and len(words) > 2:
        return shlex.split(" ".join(words[2:]))
    return words


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def mounts(service: dict) -> dict[str, str]:
    """Container path -> source of each volume mount (short or long syntax)."""
    found = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            found[volume["target"]] = volume.get("source", "")
        else:
            source, target = volume.split(":")[:2]
            found[target] = source
    return found


def option(words: list[str], long: str, short: str | None = None) -> str | None:
    """The value of `--long=value`, `--long value` or `-s value` in words."""
    for index, word in enumerate(words):
        if word.startswith(f"{long}="):
            return word.split("=", 1)[1]
        if word in (long, short) and index + 1 < len(words):
            return words[index + 1]
    return None


def routed_queues() -> set[str]:
    routes_ = settings.CELERY_TASK_ROUTES.values()
    return {route["queue"] for route in routes_} | {"celery"}


def assert_wsgi_target_exists(target: str) -> None:
    module_name, _, attribute = target.partition(":")
    assert (ROOT / Path(*module_name.split("."))).with_suffix(".py").is_file(), target
    module = importlib.import_module(module_name)
    assert callable(getattr(module, attribute, None)), f"{target} is not a WSGI callable"


def resolve_compose_variables(value: str, given: dict[str, str]) -> str:
    """Interpolate `${VAR}`, `${VAR:-default}` and `${VAR:?error}` the way Compose does."""

    def replace(match: re.Match[str]) -> str:
        name, operator, default = match.group(1), match.group(2), match.group(3) or ""
        if given.get(name):
            return given[name]
        if operator == ":?":
            raise AssertionError(f"compose requires {name}: {default}")
        return default

    return re.sub(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", replace, value)


def compose_env(service: dict, **given: str) -> dict[str, str]:
    """The service's environment as the container sees it, with `given` in the shell."""
    given = {"SECRET_KEY": secrets.token_urlsafe(50)} | given
    return {
        key: resolve_compose_variables(value, given) for key, value in environment(service).items()
    }


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def clean_env(**values: str) -> dict[str, str]:
    """This process's environment (PATH, venv) without configuration, plus `values`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in CONFIG_VARS and not key.endswith("_FILE") and not key.startswith("PYTEST")
    }
    return env | values


def production_env(**values: str) -> dict[str, str]:
    return clean_env(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="handover.example.com",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",  # never connected to by `check`
        **values,
    )


def django_says(code: str, env: dict[str, str]) -> list[str]:
    """Run `code` in `manage.py shell` under `env`; the words of the last line it printed."""
    result = run_manage("shell", "--verbosity", "0", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1].split()


def deploy_findings(output: str) -> set[str]:
    return set(re.findall(r"\?: \((\w+\.[A-Z]\d+)\)", output))


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


# --- docker-compose.yml ------------------------------------------------------------------


def test_compose_defines_the_proxy_app_one_shot_and_backing_services(services):
    expected = {PROXY, *APP_SERVICES, *ONE_SHOT_SERVICES, *BACKING_SERVICES}
    assert expected <= set(services)


def test_every_app_service_builds_the_image_from_this_directory(services):
    for name in APP_SERVICES + ONE_SHOT_SERVICES:
        build = services[name]["build"]
        context = build if isinstance(build, str) else build.get("context", ".")
        dockerfile = (
            "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        )
        assert context == ".", name
        assert (ROOT / context / dockerfile).is_file(), name


def test_every_compose_service_command_refers_to_code_that_exists(services):
    for name in APP_SERVICES + ONE_SHOT_SERVICES:
        words = argv(services[name])
        assert words, f"{name} has no command"
        if "manage.py" in words:
            command = words[words.index("manage.py") + 1]
            assert command in get_commands(), f"{name}: no management command {command!r}"
        if "gunicorn" in words:
            target = next(w for w in words[words.index("gunicorn") + 1 :] if ":" in w)
            assert target == "handover.wsgi:application"
            assert_wsgi_target_exists(target)
        if "celery" in words:
            assert option(words, "--app", "-A") == "handover", name
            celery_module = importlib.import_module("handover.celery")
            assert isinstance(celery_module.app, Celery)
        assert {"gunicorn", "celery", "manage.py"} & set(words), f"{name} runs nothing of ours"


def test_migrations_run_once_in_a_one_shot_service_the_app_waits_for(services):
    migrate = services["migrate"]
    assert argv(migrate)[-2:] == ["migrate", "--noinput"]
    assert migrate.get("restart", "no") == "no", "a one-shot service must not be restarted"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in APP_SERVICES:
        assert "migrate" not in argv(services[name]), f"{name} migrates by itself"
        condition = services[name]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully", name


def test_worker_consumes_only_queues_the_settings_route_to_and_all_of_them(services):
    workers = [argv(services[name]) for name in APP_SERVICES if "worker" in argv(services[name])]
    assert workers, "no Celery worker service"
    consumed = set()
    for words in workers:
        queues = option(words, "--queues", "-Q")
        assert queues, "a worker without --queues consumes only the default queue"
        consumed |= set(queues.split(","))
    assert consumed <= routed_queues(), consumed - routed_queues()
    assert routed_queues() <= consumed, f"nothing consumes {routed_queues() - consumed}"


def test_beat_keeps_its_schedule_file_somewhere_writable(services):
    schedule = option(argv(services["beat"]), "--schedule", "-s")
    assert schedule and schedule.startswith("/tmp/")


def test_postgres_and_redis_have_healthchecks_and_the_app_waits_for_them(services):
    for name in BACKING_SERVICES:
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    for name in APP_SERVICES:
        depends_on = services[name].get("depends_on")
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        for backing in BACKING_SERVICES:
            assert depends_on[backing]["condition"] == "service_healthy", (name, backing)
    assert services[PROXY]["depends_on"]["web"]["condition"] == "service_healthy"


def test_redis_never_evicts_queued_tasks_and_persists_them(services):
    command = services["redis"]["command"]
    words = shlex.split(command) if isinstance(command, str) else command
    assert option(words, "--maxmemory-policy") == "noeviction"
    assert option(words, "--appendonly") == "yes"


def test_media_volume_is_mounted_on_web_and_worker_at_media_root(compose, services):
    sources = set()
    for name in ("web", "worker"):
        media_root = environment(services[name])["MEDIA_ROOT"]
        source = mounts(services[name]).get(media_root)
        assert source, f"{name}: nothing mounted at MEDIA_ROOT={media_root}"
        assert source in (compose.get("volumes") or {}), f"{name}: {source} is not a named volume"
        sources.add(source)
    assert len(sources) == 1, "web and worker must share one media volume"


def test_app_services_run_with_debug_off_and_refuse_to_start_without_a_secret_key(services):
    for name in APP_SERVICES + ONE_SHOT_SERVICES:
        assert environment(services[name])["DEBUG"] == "0", name
        with pytest.raises(AssertionError, match="compose requires SECRET_KEY"):
            compose_env(services[name], SECRET_KEY="")


# --- Health endpoints and compose's healthcheck ------------------------------------------


def test_liveness_answers_without_touching_anything(client):
    # No django_db mark: a database query here would fail the test.
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readiness_checks_the_database_and_the_broker(client):
    response = client.get("/health/ready")
    assert response.status_code == 200, response.content
    assert response.json() == {"database": "ok", "broker": "ok"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_readiness_is_503_naming_the_database_when_it_is_unreachable(client, monkeypatch):
    def unreachable():
        raise OperationalError("could not connect to server")

    monkeypatch.setitem(health.CHECKS, "database", unreachable)
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json() == {"database": "unavailable", "broker": "ok"}
    assert "could not connect" not in response.content.decode()


@pytest.mark.django_db
def test_readiness_is_503_naming_the_broker_when_redis_does_not_answer(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "unavailable"}


def healthcheck_script(services) -> str:
    test = services["web"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test
    return test[3]


@pytest.mark.django_db(transaction=True)
def test_compose_healthcheck_passes_when_ready_and_fails_when_not(
    services, live_server, monkeypatch
):
    """The healthcheck script itself, pointed at a live server instead of 127.0.0.1:8000."""
    script = healthcheck_script(services)
    paths = re.findall(r"http://127\.0\.0\.1:8000(/[^\"'\s]*)", script)
    assert [resolve(path).func for path in paths] == [health.ready]
    script = script.replace("http://127.0.0.1:8000", live_server.url)
    env = clean_env(ALLOWED_HOSTS=compose_env(services["web"])["ALLOWED_HOSTS"])

    def run_check() -> int:
        return subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, timeout=30, check=False
        ).returncode

    assert run_check() == 0
    monkeypatch.setitem(health.CHECKS, "broker", lambda: 1 / 0)
    assert run_check() != 0


# --- The settings refuse what they must, and agree with the README -----------------------


def test_check_refuses_to_start_with_debug_off_and_no_secret_key():
    env = clean_env(DEBUG="0", ALLOWED_HOSTS="handover.example.com", TASKS_IN_PROCESS="1")
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG=0" in result.stderr


def test_with_debug_off_and_no_broker_the_app_refuses_unless_told_to_run_tasks_in_process():
    env = production_env()
    del env["CELERY_BROKER_URL"]
    refused = run_manage("check", env=env)
    assert refused.returncode != 0
    assert "CELERY_BROKER_URL must be set when DEBUG=0" in refused.stderr
    probe = "from django.conf import settings; print(settings.CELERY_TASK_ALWAYS_EAGER)"
    assert django_says(probe, env | {"TASKS_IN_PROCESS": "1"}) == ["True"]
    assert django_says(probe, production_env()) == ["False"]


def test_make_runs_defaults_need_no_broker():
    """`make run` sets DEBUG=1 and no broker: tasks run in-process, nothing to configure."""
    result = run_manage("check", env=clean_env(DEBUG="1"))
    assert result.returncode == 0, result.stderr


def test_production_settings_pass_check_deploy_without_warnings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert deploy_findings(output) == set(), output
    assert "no issues" in output


def test_compose_environment_passes_check_deploy_with_nothing_to_report(services):
    """What the README promises: under compose's own settings `check --deploy` reports
    nothing (Caddy and the app both redirect to HTTPS; the app trusts Caddy's
    X-Forwarded-Proto)."""
    assert "check --deploy` reports nothing" in " ".join(README.read_text().split())
    for name in APP_SERVICES:
        env = clean_env(**compose_env(services[name], DOMAIN="handover.example.com"))
        result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert deploy_findings(output) == set(), output


# --- The Dockerfile, and the production static storage -----------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = DOCKERFILE.read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    found = []
    for line in joined.splitlines():
        match = re.match(r"^\s*([A-Z]+)\s+(.*)$", line)
        if match:
            found.append((match.group(1), " ".join(match.group(2).split())))
    return found


def shell_commands(arguments: str) -> list[list[str]]:
    """A RUN line's `&&`-separated commands as words."""
    return [shlex.split(part) for part in arguments.split("&&")]


def test_dockerfile_installs_what_check_prereqs_says_weasyprint_needs():
    hint = (ROOT / "scripts" / "check-prereqs").read_text()
    needed = set(re.search(r"apt-get install -y (libpango[^\"]+)\"", hint).group(1).split())
    installed = set()
    for instruction, arguments in dockerfile_instructions():
        if instruction == "RUN":
            for words in shell_commands(arguments):
                if words[:2] == ["apt-get", "install"]:
                    assert "--no-install-recommends" in words
                    installed |= {w for w in words[2:] if not w.startswith("-")}
    assert needed <= installed, needed - installed


def test_dockerfile_installs_the_copied_lock_file_checking_every_hash():
    copied: set[str] = set()
    for instruction, arguments in dockerfile_instructions():
        if instruction == "COPY":
            copied |= set(arguments.split()[:-1])
        if instruction == "RUN" and "pip install" in arguments:
            words = next(w for w in shell_commands(arguments) if w[:2] == ["pip", "install"])
            assert "--require-hashes" in words, words
            lock = option(words, "--requirement", "-r")
            assert lock in copied, f"{lock} is installed before it is copied"
            assert lock == "requirements.txt"
            return
    pytest.fail("the Dockerfile installs no requirements")


def test_dockerfile_runs_as_a_non_root_user_and_serves_the_wsgi_app():
    instructions = dockerfile_instructions()
    users = [arguments for instruction, arguments in instructions if instruction == "USER"]
    assert users and users[-1] not in ("root", "0"), "the image must not run as root"
    cmd = [arguments for instruction, arguments in instructions if instruction == "CMD"][-1]
    words = json.loads(cmd)
    assert words[0] == "gunicorn"
    assert_wsgi_target_exists(words[1])
    env = " ".join(arguments for instruction, arguments in instructions if instruction == "ENV")
    assert "SECRET_KEY" not in env, "no secret in the image"


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory) -> Path:
    """The Dockerfile's own collectstatic step, run as written into a temporary STATIC_ROOT."""
    step = next(
        arguments
        for instruction, arguments in dockerfile_instructions()
        if instruction == "RUN" and "collectstatic" in arguments
    )
    words = shlex.split(step)
    assignments = {}
    while "=" in words[0] and not words[0].startswith("-"):
        name, _, value = words.pop(0).partition("=")
        assignments[name] = value
    assert words[:2] == ["python", "manage.py"], words
    static_root = tmp_path_factory.mktemp("staticfiles")
    result = subprocess.run(
        [sys.executable, *words[1:]],
        cwd=ROOT,
        env=clean_env(**assignments, STATIC_ROOT=str(static_root)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (static_root / "staticfiles.json").is_file()
    return static_root


def main_pages(owner, engagement) -> list[tuple[str, str | None]]:
    """(URL, permission it needs) for every page without arguments, and the engagement's and
    a report job's pages."""
    job = request_job(engagement.gates.get(number=1), owner)
    urls = [
        reverse(name)
        for route, name, _ in routes()
        if name
        and "<" not in route
        and name.split(":")[0] not in ("admin", "api")
        and name not in ("accounts:logout", "health_live", "health_ready")
    ]
    urls += [
        reverse("engagements:detail", args=[engagement.pk]),
        reverse("engagements:edit", args=[engagement.pk]),
        reverse("reports:job", args=[job.pk]),
    ]
    return [(url, getattr(resolve(url).func, "required_permission", None)) for url in urls]


def test_every_main_page_renders_with_the_production_static_storage(
    collected_static, settings, client, org, owner, engagement
):
    """A `{% static %}` of a file that collectstatic did not collect raises here, as it would
    be a 500 in production only."""
    settings.STATIC_ROOT = collected_static
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
    }
    members = {Role.OWNER: owner}
    pages = main_pages(owner, engagement)
    assert len(pages) >= 6, pages
    for url, perm in pages:
        if perm is None:
            client.logout()
        else:
            role = Role.OWNER if Role.OWNER in PERMISSIONS[perm] else sorted(PERMISSIONS[perm])[0]
            if role not in members:
                members[role] = make_member(org, role)
            client.force_login(members[role])
        response = client.get(url)
        if response.status_code == 405:  # takes posts only: renders no page
            continue
        assert response.status_code == 200, (url, response.status_code)
        html = response.content.decode()
        assert re.search(r'/static/css/app\.[0-9a-f]{12}\.css"', html), url


# --- The README's commands, as written ----------------------------------------------------


def venv_is_current() -> bool:
    """`make worker` installs first: run it only when that would not rebuild the venv."""
    result = subprocess.run(
        [MAKE, "-q", ".venv/.installed"], cwd=ROOT, capture_output=True, check=False
    )
    return result.returncode == 0


def run_until_logged(command: list[str], env: dict[str, str], pattern: str, timeout=20) -> str:
    """Start `command`, wait until its output matches `pattern`, then stop it (its whole
    process group: make and what make started); the output so far."""
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    seen = threading.Event()

    def read() -> None:
        for line in process.stdout:
            output.append(line)
            if re.search(pattern, line):
                seen.set()
        seen.set()  # exited: stop waiting

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        seen.wait(timeout)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        reader.join(5)
    text = "".join(output)
    assert re.search(pattern, text), f"{shlex.join(command)} never logged {pattern!r}:\n{text}"
    return text


def scratch_redis_url() -> str | None:
    """A Redis database no test and no developer's worker uses, on the suite's Redis."""
    broker = settings.CELERY_BROKER_URL
    base = broker if broker.startswith("redis://") else "redis://127.0.0.1:6379/0"
    url = urlsplit(base)._replace(path="/13").geturl()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return None
    return url


@pytest.fixture
def readme_commands() -> None:
    if not venv_is_current():
        message = ".venv is older than the lock files: `make install` first"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.mark.worker
def test_make_worker_starts_as_the_readme_shows(readme_commands, tmp_path):
    url = scratch_redis_url()
    if url is None:
        if IN_CI:
            pytest.fail("CI=true but Redis does not answer")
        pytest.skip("no Redis on 127.0.0.1:6379 for a worker in another process")
    env = clean_env(CELERY_BROKER_URL=url, SQLITE_PATH=str(tmp_path / "db.sqlite3"))
    try:
        output = run_until_logged([MAKE, "worker"], env, r"celery@\S+ ready\.")
    finally:
        redis.Redis.from_url(url).flushdb()
    assert "SECRET_KEY" not in output
    assert re.search(r"\.> reports\b", output), "the worker does not consume the reports queue"


@pytest.mark.worker
def test_make_beat_starts_as_the_readme_shows(readme_commands, tmp_path):
    env = clean_env(
        SQLITE_PATH=str(tmp_path / "db.sqlite3"), BEAT_SCHEDULE=str(tmp_path / "schedule")
    )
    output = run_until_logged([MAKE, "beat"], env, r"beat: Starting")
    assert "SECRET_KEY" not in output


# --- The lock files ------------------------------------------------------------------------


def pins(path: Path) -> dict[str, tuple[str, int]]:
    """Package (normalised) → (version, number of hashes) in a pip-compile lock file."""
    text = path.read_text().replace("\\\n", " ")
    found = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)(.*)$", line)
        if match:
            name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
            found[name] = (match.group(2), len(re.findall(r"--hash=sha256:", match.group(3))))
    return found


def direct_requirements(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9._-]+", line).group()).lower())
    return names


def test_the_lock_files_pin_every_direct_requirement_with_hashes():
    runtime = pins(ROOT / "requirements.txt")
    dev = pins(ROOT / "requirements-dev.txt")
    assert direct_requirements(ROOT / "requirements.in") <= set(runtime)
    assert direct_requirements(ROOT / "requirements-dev.in") <= set(dev)
    for lock in (runtime, dev):
        unhashed = sorted(name for name, (_, hashes) in lock.items() if not hashes)
        assert not unhashed, f"pinned without a hash: {unhashed}"
    # The test environment runs the very versions production installs.
    assert {name: dev[name][0] for name in runtime} == {n: v for n, (v, _) in runtime.items()}


def test_make_installs_with_hashes_and_tests_with_a_coverage_floor():
    def planned(*targets: str) -> str:
        # -n: print the commands without running them; -W: as if the lock file had changed.
        result = subprocess.run(
            [MAKE, "-n", "-W", "requirements.txt", *targets],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.replace("\\\n", " ")

    install = next(line for line in planned("install").splitlines() if "pip install" in line)
    assert "--require-hashes" in install and "requirements-dev.txt" in install
    pytest_line = next(line for line in planned("test").splitlines() if "-m pytest" in line)
    floor = option(shlex.split(pytest_line), "--cov-fail-under")
    assert floor and 50 <= int(floor) <= 100, pytest_line
