"""The client's IP address, for log-in throttling, honest about proxies."""

from __future__ import annotations

from django.conf import settings


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or — behind `TRUSTED_PROXIES` reverse proxies — the address the outermost
    trusted proxy saw. Each proxy appends to X-Forwarded-For, so counting from the right
    skips what the client itself may have forged on the left."""
    proxies = settings.TRUSTED_PROXIES
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")
