"""Time the portfolio dashboard at 1,000 engagements against a bare Django view that lists the
same 50 rows, through the same middleware, as the same user, in one run; and the seeder.

    .venv/bin/python bench/portfolio.py                 # SQLite in a temporary file
    .venv/bin/python bench/portfolio.py --profile       # + where the dashboard's time goes
    SQLITE_PATH=/tmp/b.sqlite3 … bench/portfolio.py --keep   # reuse an earlier run's data
    DATABASE_URL=postgres://… .venv/bin/python bench/portfolio.py   # that database, flushed

The bare view is routed through a urlconf of this module that includes the project's (so the
dashboard is requested exactly as in production); see README.md for the findings.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
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
from django.http import HttpResponse  # noqa: E402
from django.template import engines  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import include, path  # noqa: E402

from accounts.access import member_required  # noqa: E402
from engagements.models import Engagement  # noqa: E402
from engagements.portfolio import PAGE_SIZE  # noqa: E402

N = int(os.environ.get("BENCH_ENGAGEMENTS", "1000"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "30"))
# Seeding writes every module's demo data: with a year of weekly reports, checklists,
# milestones, invoices and change requests per engagement, 1,000 engagements are over 50,000
# rows, hence 15 s. The dashboard's goal is relative: at most 1.5× the bare view.
TARGETS = {"seed": 15.0, "ratio": 1.5}

# The site's layout (every page has it) around a plain table of the same rows.
BARE = engines["django"].from_string(
    '{% extends "base.html" %}{% block content %}<h1>Portfolio</h1><table>'
    "{% for engagement in rows %}<tr><th><a href=\"{% url 'engagements:detail' engagement.pk %}\">"
    "{{ engagement.title }}</a></th><td>{{ engagement.vendor_name }}</td>"
    "<td>{{ engagement.get_status_display }}</td></tr>{% endfor %}</table>{% endblock %}"
)


@member_required("engagement.view")
def bare(request):
    """The floor: the same 50 engagements (the dashboard's newest-first page) in the site's
    layout, three columns, one query: what any Django list page costs."""
    rows = Engagement.objects.restrict(request.membership).order_by("-created_at", "-id")
    return HttpResponse(BARE.render({"rows": rows[:PAGE_SIZE]}, request))


urlpatterns = [path("bench/bare/", bare), path("", include("handover.urls"))]


@dataclass
class Result:
    seed_seconds: float
    dashboard_ms: float
    bare_ms: float
    dashboard_queries: int
    bare_queries: int

    @property
    def ratio(self) -> float:
        return self.dashboard_ms / self.bare_ms


def _median_ms(client: Client, url: str, repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return statistics.median(timings)


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return len(queries)


def run(engagements: int = N, repeats: int = REPEATS, *, url: str = "/") -> Result:
    """Seed the demo organisation "bench" up to `engagements`, then time `url` (the
    dashboard) and the bare view alternately, so both see the same machine state."""
    started = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        # A password of its own: seed_demo refuses the printed default with DEBUG=0.
        call_command(
            "seed_demo",
            "--org",
            "bench",
            "--engagements",
            str(engagements),
            "--password",
            "bench-only",
            stdout=quiet,
        )
    seed_seconds = time.perf_counter() - started
    with override_settings(ROOT_URLCONF=__name__):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(get_user_model().objects.get(username="owner@bench.example"))
        for warm in (url, "/bench/bare/"):
            client.get(warm)  # templates compiled, caches filled
        dashboard, plain = [], []
        for _ in range(repeats):
            dashboard.append(_median_ms(client, url, 1))
            plain.append(_median_ms(client, "/bench/bare/", 1))
        return Result(
            seed_seconds,
            statistics.median(dashboard),
            statistics.median(plain),
            _queries(client, url),
            _queries(client, "/bench/bare/"),
        )


def profile(url: str = "/", repeats: int = 20) -> str:
    """cProfile of `repeats` dashboard requests, the top functions by cumulative time."""
    with override_settings(ROOT_URLCONF=__name__):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(get_user_model().objects.get(username="owner@bench.example"))
        client.get(url)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(repeats):
            client.get(url)
        profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(
        os.environ.get("BENCH_SORT", "cumulative")
    ).print_stats(45)
    return out.getvalue()


def main() -> int:
    call_command("migrate", verbosity=0)
    if "--keep" not in sys.argv:  # --keep: top up what an earlier run seeded (SQLITE_PATH)
        call_command("flush", interactive=False, verbosity=0)
    result = run()
    print(
        f"seed_demo --engagements {N}: {result.seed_seconds:.2f} s (target < {TARGETS['seed']} s)"
    )
    print(f"dashboard: median {result.dashboard_ms:.1f} ms, {result.dashboard_queries} queries")
    print(f"bare view: median {result.bare_ms:.1f} ms, {result.bare_queries} queries")
    print(f"ratio: {result.ratio:.2f}× (goal ≤ {TARGETS['ratio']}×)")
    if "--profile" in sys.argv:
        print(profile())
    ok = result.seed_seconds < TARGETS["seed"] and result.ratio <= TARGETS["ratio"]
    print("OK" if ok else "SLOWER THAN TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
