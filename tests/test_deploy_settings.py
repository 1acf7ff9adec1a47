"""Health endpoints and compose's healthcheck, and settings that refuse what they must and
agree with the README (`check --deploy`), checked by running them."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from django.db.utils import OperationalError
from django.urls import resolve

from handover import health

from .test_deploy import (
    APP_SERVICES,
    README,
    clean_env,
    compose_env,
    deploy_findings,
    django_says,
    production_env,
    run_manage,
)

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
