"""The deployment files (Dockerfile, docker-compose.yml) agree with the code and settings, and
production settings pass Django's deployment checks. No Docker needed: the files are parsed."""

from __future__ import annotations

import importlib
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from celery import Celery
from django.conf import settings
from django.urls import resolve

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
APP_SERVICES = ("web", "worker", "beat")
BACKING_SERVICES = ("postgres", "redis")
# Variables that would change what the subprocess checks; it must see only what a test gives.
CONFIG_VARS = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_SSL_REDIRECT",
    "SECURE_COOKIES",
    "SECURE_HSTS_SECONDS",
    "STATIC_ROOT",
    "MEDIA_ROOT",
    "EMAIL_HOST",
    "EMAIL_BACKEND",
    "DJANGO_SETTINGS_MODULE",
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
    routes = settings.CELERY_TASK_ROUTES.values()
    return {route["queue"] for route in routes} | {"celery"}


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


def deploy_findings(output: str) -> set[str]:
    return set(re.findall(r"\?: \((\w+\.[A-Z]\d+)\)", output))


# --- docker-compose.yml ------------------------------------------------------------------


def test_compose_defines_the_web_worker_beat_postgres_and_redis_services(services):
    assert set(APP_SERVICES + BACKING_SERVICES) <= set(services)


def test_every_app_service_builds_the_image_from_this_directory(services):
    for name in APP_SERVICES:
        build = services[name]["build"]
        context = build if isinstance(build, str) else build.get("context", ".")
        dockerfile = (
            "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        )
        assert context == ".", name
        assert (ROOT / context / dockerfile).is_file(), name


def test_every_compose_service_command_refers_to_code_that_exists(services):
    for name in APP_SERVICES:
        words = argv(services[name])
        assert words, f"{name} has no command"
        if "manage.py" in words:
            assert (ROOT / "manage.py").is_file()
        if "gunicorn" in words:
            target = next(w for w in words[words.index("gunicorn") + 1 :] if ":" in w)
            assert target == "handover.wsgi:application"
            assert_wsgi_target_exists(target)
        if "celery" in words:
            assert option(words, "--app", "-A") == "handover", name
            celery_module = importlib.import_module("handover.celery")
            assert isinstance(celery_module.app, Celery)
        assert {"gunicorn", "celery"} & set(words), f"{name} runs neither gunicorn nor celery"


def test_web_runs_migrations_before_starting_gunicorn(services):
    words = argv(services["web"])
    assert words.index("migrate") < words.index("gunicorn")


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


def test_redis_never_evicts_queued_tasks_and_persists_them(services):
    command = services["redis"]["command"]
    words = shlex.split(command) if isinstance(command, str) else command
    assert option(words, "--maxmemory-policy") == "noeviction"
    assert option(words, "--appendonly") == "yes"


def test_web_healthcheck_fetches_a_page_that_exists(services):
    test = " ".join(services["web"]["healthcheck"]["test"])
    paths = re.findall(r"http://127\.0\.0\.1:8000(/[^\"'\s]*)", test)
    assert paths, "the web healthcheck fetches no local URL"
    for path in paths:
        resolve(path)  # raises Resolver404 if the page is gone


def test_media_volume_is_mounted_on_web_and_worker_at_media_root(compose, services):
    sources = set()
    for name in ("web", "worker"):
        media_root = environment(services[name])["MEDIA_ROOT"]
        source = mounts(services[name]).get(media_root)
        assert source, f"{name}: nothing mounted at MEDIA_ROOT={media_root}"
        assert source in (compose.get("volumes") or {}), f"{name}: {source} is not a named volume"
        sources.add(source)
    assert len(sources) == 1, "web and worker must share one media volume"


def test_app_services_run_with_debug_off_and_a_required_secret_key(services):
    for name in APP_SERVICES:
        env = environment(services[name])
        assert env["DEBUG"] == "0", name
        assert re.fullmatch(r"\$\{SECRET_KEY:\?[^}]*\}", env["SECRET_KEY"]), name


# --- Dockerfile --------------------------------------------------------------------------


def test_dockerfile_installs_pango_for_weasyprint_and_requirements_it_copies():
    text = DOCKERFILE.read_text()
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "fonts-dejavu-core"):
        assert package in text, package
    assert "--no-install-recommends" in text
    assert "rm -rf /var/lib/apt/lists/*" in text
    requirements = re.search(r"pip install[^\n]*-r\s+(\S+)", text).group(1)
    copied = re.findall(r"^COPY\s+(?:--\S+\s+)*(.+?)\s+\S+$", text, flags=re.M)
    assert any(requirements in line.split() for line in copied), "requirements not copied"
    assert (ROOT / requirements).is_file()


def test_dockerfile_runs_as_a_non_root_user_and_serves_the_wsgi_app():
    text = DOCKERFILE.read_text()
    users = re.findall(r"^USER\s+(\S+)", text, flags=re.M)
    assert users and users[-1] not in ("root", "0"), "the image must not run as root"
    cmd = re.search(r"^CMD\s+(\[.*?\])\s*$", text, flags=re.M | re.S)
    words = yaml.safe_load(cmd.group(1).replace("\\\n", " "))
    assert words[0] == "gunicorn"
    assert_wsgi_target_exists(words[1])
    assert "MEDIA_ROOT=/data/media" in text


def test_dockerfile_collects_static_files_with_build_only_settings():
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    line = next(line for line in text.splitlines() if re.match(r"RUN\b.*collectstatic", line))
    for variable in ("DEBUG=0", "SECRET_KEY=", "ALLOWED_HOSTS="):
        assert variable in line, variable
    assert not re.search(r"^ENV\b.*SECRET_KEY", text, flags=re.M), "no secret in the image"


# --- Django's deployment checks ----------------------------------------------------------


def test_production_settings_pass_check_deploy_without_warnings():
    env = clean_env(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="handover.example.com",
    )
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output
    assert "?: (security" not in output
    assert "no issues" in output


def test_compose_environment_passes_check_deploy_apart_from_tls_terminated_upstream(services):
    """Compose's values parse, and the only finding is the one its comment explains: the app
    does not redirect to HTTPS itself (security.W008) because the proxy in front does."""
    given = {"SECRET_KEY": secrets.token_urlsafe(50)}
    env = {
        key: resolve_compose_variables(value, given)
        for key, value in environment(services["web"]).items()
        # No PostgreSQL or Redis here: the check needs neither.
        if key not in ("DATABASE_URL", "CELERY_BROKER_URL")
    }
    result = run_manage("check", "--deploy", "--fail-level", "ERROR", env=clean_env(**env))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert deploy_findings(output) <= {"security.W008"}, output


def test_check_refuses_to_start_with_debug_off_and_no_secret_key():
    env = clean_env(DEBUG="0", ALLOWED_HOSTS="handover.example.com")
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
