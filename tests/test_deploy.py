"""The production stack does what it claims, checked as behaviour rather than as text.

docker-compose.yml is parsed as data and its settings are run through the app; the proxy's
config is parsed and its effect on the app is exercised; the settings are started in a
subprocess with the environments they must refuse or accept; `make worker` and `make beat`
are run exactly as the README shows; the Dockerfile's own collectstatic step is run, and every
main page is rendered with its output and the production static storage. No Docker needed.
"""

from __future__ import annotations

import importlib
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.core.management import get_commands

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
