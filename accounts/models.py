"""Organisations and the people in them (their memberships, each with a role)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .roles import Role, role_can
from .tenancy import Scope, TenantModel, TenantQuerySet


class Organisation(models.Model):
    """A company using Handover. Every record belongs to exactly one."""

    tenancy_exempt = "the tenant itself: a member reaches only their own, via request.organisation"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=50, unique=True)
    is_demo = models.BooleanField(
        default=False, help_text="Created by seed_demo, which touches no other organisation."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(TenantModel):
    """A user's place in one organisation, with the role that decides what they may do."""

    scope = Scope("member")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_org"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organisation} as {self.get_role_display()}"

    def can(self, perm: str) -> bool:
        return role_can(self.role, perm)

    @property
    def is_vendor(self) -> bool:
        return self.role == Role.VENDOR
