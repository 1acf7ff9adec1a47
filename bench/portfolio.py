"""Seed 1,000 engagements and time the seeder and the portfolio page.

Uses its own SQLite file unless DATABASE_URL is set (then that database is flushed first).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "handover.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SQLITE_PATH", str(Path(tempfile.mkdtemp()) / "bench.sqlite3"))

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

N = int(os.environ.get("BENCH_ENGAGEMENTS", "1000"))
# Seeding writes every module's demo data: with a year of weekly reports, checklists,
# milestones, invoices and change requests per engagement, 1,000 engagements are over 50,000
# rows (about 9,000 before delivery tracking), hence 15 s rather than the earlier 5 s.
TARGETS = {"seed": 15.0, "portfolio_ms": 150.0}


def main() -> int:
    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    started = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", "--org", "bench", "--engagements", str(N), stdout=quiet)
    seed_seconds = time.perf_counter() - started

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username="owner@bench.example"))
    client.get("/")  # warm up templates
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        response = client.get("/")
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"portfolio answered {response.status_code}")
    with CaptureQueriesContext(connection) as queries:
        client.get("/?page=3")
    median = statistics.median(timings)
    print(f"seed_demo --engagements {N}: {seed_seconds:.2f} s (target < {TARGETS['seed']} s)")
    print(
        f"portfolio, {N} engagements: median {median:.1f} ms, p90 "
        f"{statistics.quantiles(timings, n=10)[-1]:.1f} ms, {len(queries)} queries "
        f"(target < {TARGETS['portfolio_ms']} ms)"
    )
    ok = seed_seconds < TARGETS["seed"] and median < TARGETS["portfolio_ms"]
    print("OK" if ok else "SLOWER THAN TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
