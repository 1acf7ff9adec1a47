"""Health endpoints for the orchestrator (compose's healthcheck, a load balancer).

`/health/live` answers while the process serves requests and touches nothing else; restart
the process when it fails. `/health/ready` also reaches the database and the Celery broker;
send it no traffic while it answers 503, and say which of the two failed.
"""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 2


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_broker() -> None:
    """Ping Redis; nothing to reach when tasks run in-process on the memory transport."""
    url = settings.CELERY_BROKER_URL
    if url.startswith("memory://"):
        return
    if not url.startswith(("redis://", "rediss://")):
        raise ValueError(f"no health check for the broker scheme of {url.split(':', 1)[0]!r}")
    client = redis.Redis.from_url(
        url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()


# Name in the JSON answer → the check; each raises when its dependency is unreachable.
CHECKS = {"database": check_database, "broker": check_broker}


@never_cache
@require_safe
def live(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def ready(request):
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:
            # The reason goes to the log, not to whoever asks: the endpoint is public.
            log.warning("readiness check failed: %s", name, exc_info=True)
            results[name] = "unavailable"
        else:
            results[name] = "ok"
    healthy = all(result == "ok" for result in results.values())
    return JsonResponse(results, status=200 if healthy else 503)
