"""The README's `python manage.py …` commands, run exactly as written (each in a shell block),
in order, against a scratch database — so the documented way to start and remove an
organisation keeps working. (`make …` commands are run in test_deploy.py.)"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

from .test_deploy import clean_env

ROOT = Path(__file__).resolve().parent.parent


def readme_manage_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", readme, re.S):
        for line in block.splitlines():
            command = line.split("  #")[0].strip()
            if command.startswith("python manage.py "):
                lines.append(command)
    return lines


def test_the_readme_shows_how_to_start_and_remove_an_organisation():
    commands = readme_manage_commands()
    assert any(" createorg " in c for c in commands)
    assert any(" deleteorg " in c for c in commands)


def test_the_readmes_manage_commands_run_as_written(tmp_path):
    env = clean_env(DEBUG="1", SQLITE_PATH=str(tmp_path / "db.sqlite3"), SITE_URL="https://h.test")

    def run(args: list[str]) -> subprocess.CompletedProcess:
        # `python` is the project's interpreter, as in the activated venv the README assumes.
        return subprocess.run(
            [sys.executable, *args[1:]], cwd=ROOT, env=env, capture_output=True, text=True
        )

    assert run(["python", "manage.py", "migrate", "--noinput"]).returncode == 0
    output = {}
    for command in readme_manage_commands():
        result = run(shlex.split(command))
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
        output[shlex.split(command)[2]] = result.stdout
    assert "https://h.test/accounts/invitations/" in output["createorg"]  # from SITE_URL
    assert "Deleted Acme Ltd" in output["deleteorg"]
