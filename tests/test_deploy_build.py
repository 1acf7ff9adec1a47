"""How Handover is built and run, checked by running it: the Dockerfile's own steps (and every
page under the production static storage they collect), the README's `make worker` and
`make beat` exactly as written, and the hash-locked requirements. The proxy, compose file,
health endpoints and settings are in test_deploy.py, whose helpers this module shares."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
from django.conf import settings
from django.urls import resolve, reverse

from accounts.checks import routes
from accounts.roles import PERMISSIONS, Role

from .conftest import IN_CI, make_member, request_job
from .test_deploy import DOCKERFILE, MAKE, ROOT, assert_wsgi_target_exists, clean_env, option

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
