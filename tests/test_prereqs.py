"""scripts/check-prereqs: silent when all is there, one actionable line when not."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "check-prereqs"


def run(path: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["/bin/bash", str(SCRIPT)], env={"PATH": path}, capture_output=True, text=True, check=False
    )


def test_this_machine_has_everything():
    result = run(os.environ["PATH"])
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_a_missing_python_is_named_with_the_command_that_installs_it(tmp_path):
    result = run(str(tmp_path))  # a PATH with nothing on it
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "missing: python3 (3.11 or newer) — install it with: apt-get install -y python3"
    )


def test_a_python_without_venv_is_named(tmp_path):
    real = shutil.which("python3")
    fake = tmp_path / "python3"
    # A python3 that is new enough but has no venv module, as on a bare Debian.
    fake.write_text(f'#!/bin/bash\ncase "$*" in *"import venv"*) exit 1;; esac\nexec {real} "$@"\n')
    fake.chmod(0o755)
    result = run(f"{tmp_path}:/usr/bin:/bin")
    assert result.returncode == 1
    assert "missing: python3-venv" in result.stderr
    assert "apt-get install -y python3-venv" in result.stderr
