"""Personal API tokens: each acts as one member in one organisation, and only the secret's
SHA-256 is stored."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Membership

# "hov_" + 43 URL-safe characters (32 random bytes). The prefix makes a leaked token easy to
# recognise (secret scanners, logs); its first characters identify it on the tokens page.
MARK = "hov_"
TOKEN_PATTERN = re.compile(r"hov_[A-Za-z0-9_-]{43}")
DISPLAY_LENGTH = 8
# A token's last use is stamped at most this often: not one write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    """SHA-256 suffices: the token has 256 bits of entropy, so it cannot be guessed from its
    hash, and a fast hash lets every request look the token up by an indexed equality."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def owned_by(self, membership: Membership):
        """The tokens of this member in this organisation: the only ones they can see."""
        if membership is None:
            return self.none()
        return self.filter(membership=membership)

    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A named, revocable credential that acts as `membership` (one user, one organisation)."""

    tenancy_exempt = "personal: reached only by its owner, through request.user"

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    # The first characters of the token, shown so its owner can tell tokens apart.
    prefix = models.CharField(max_length=len(MARK) + DISPLAY_LENGTH)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="api_token_has_a_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, membership: Membership, name: str) -> tuple[ApiToken, str]:
        """A new token for `membership`, and its secret: returned here once, never stored."""
        secret = MARK + secrets.token_urlsafe(32)
        token = cls.objects.create(
            membership=membership,
            name=name,
            prefix=secret[: len(MARK) + DISPLAY_LENGTH],
            key_hash=hash_token(secret),
        )
        return token, secret

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def revoke(self) -> None:
        """Revoke once; a second revoke keeps the first date."""
        now = timezone.now()
        ApiToken.objects.filter(pk=self.pk, revoked_at__isnull=True).update(revoked_at=now)
        self.refresh_from_db(fields=["revoked_at"])

    def touch(self) -> None:
        """Record a use, at most once per `LAST_USED_RESOLUTION`."""
        now = timezone.now()
        if self.last_used_at and now - self.last_used_at < LAST_USED_RESOLUTION:
            return
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        ApiToken.objects.filter(stale, pk=self.pk).update(last_used_at=now)
        self.last_used_at = now
