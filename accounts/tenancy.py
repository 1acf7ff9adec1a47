"""Who reaches which rows, and which fields: the one access call every page, list, report and
API route goes through.

Every tenant-owned model declares a `Scope`: the permission resource it belongs to, the path to
its organisation, the path by which a vendor contact reaches it (none: vendor contacts never
see it) and its internal fields. `TenantQuerySet.restrict(membership, action)` joins the role's
permission and the row scope, after NetBox's `RestrictedQuerySet.restrict`, and fails closed:
`.none()` without the permission, `.none()` for a vendor contact on a model with no vendor
path. Internal fields are not even selected for a role that may not read them, and a
`TenantModel` never loads them later, so no template or API schema can show what it never
received.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.db.models import Prefetch


@dataclass(frozen=True)
class Scope:
    """How each kind of member reaches a model's rows.

    resource: the permission prefix in `accounts.roles.PERMISSIONS` ("engagement" → the
        permissions "engagement.view", "engagement.edit", …).
    organisation: lookup from the model to its `Organisation` ("organisation",
        "engagement__organisation").
    vendor: lookup from the model to the `Membership` of an assigned vendor contact
        ("vendor_contacts", "engagement__vendor_contacts"); None keeps every row from vendor
        contacts, whatever their role allows.
    internal: fields only roles holding "<resource>.view_internal" may read.
    """

    resource: str
    organisation: str = "organisation"
    vendor: str | None = None
    internal: tuple[str, ...] = ()

    def permission(self, action: str) -> str:
        return f"{self.resource}.{action}"


def scope_of(model) -> Scope:
    scope = getattr(model, "scope", None)
    if not isinstance(scope, Scope):
        # Unreachable once `accounts.checks` passes; fail closed all the same.
        raise TypeError(f"{model.__name__} declares no Scope: it cannot be restricted")
    return scope


def may_read_internal(membership, model) -> bool:
    """Whether `membership` may read `model`'s internal fields (trivially, when it has none)."""
    scope = scope_of(model)
    return not scope.internal or (
        membership is not None and membership.can(scope.permission("view_internal"))
    )


def readable_fields(membership, model) -> list[str]:
    """The concrete field names `membership` may read: the projection the API serialises."""
    hidden = () if may_read_internal(membership, model) else scope_of(model).internal
    return [f.name for f in model._meta.concrete_fields if f.name not in hidden]


class TenantQuerySet(models.QuerySet):
    """The base queryset of every tenant-owned model: nothing reaches a view unrestricted."""

    def restrict(self, membership, action: str = "view"):
        """The rows `membership` may `action`, with internal fields withheld from roles that
        may not read them. No membership, no permission, or a vendor contact on a model with
        no vendor path: no rows."""
        scope = scope_of(self.model)
        if membership is None or not membership.can(scope.permission(action)):
            return self.none()
        rows = self.filter(**{scope.organisation: membership.organisation_id})
        if membership.is_vendor:
            if scope.vendor is None:
                return self.none()
            # One through-row per (object, contact): the join cannot duplicate rows.
            rows = rows.filter(**{scope.vendor: membership})
        if not may_read_internal(membership, self.model):
            rows = rows.defer(*scope.internal)
        return rows


class RestrictedPrefetch(Prefetch):
    """A `Prefetch` whose related rows go through `restrict()` too (NetBox's idea), so what a
    page reads through a relation is scoped and projected like what it queried directly."""

    def __init__(self, lookup, membership, queryset, action: str = "view", to_attr=None):
        super().__init__(lookup, queryset=queryset.restrict(membership, action), to_attr=to_attr)


class WithheldFieldError(Exception):
    """Saving a field that was withheld from this instance would overwrite it with nothing."""


class TenantModel(models.Model):
    """Base of every tenant-owned model: internal fields are never loaded behind the caller's
    back. A field `restrict()` withheld reads as None, and saving it is refused."""

    scope: Scope

    class Meta:
        abstract = True

    def save(self, *args, update_fields=None, **kwargs):
        withheld = getattr(self, "_withheld", set()) | (
            self.get_deferred_fields() & set(scope_of(type(self)).internal)
        )
        if withheld and not self._state.adding:
            if update_fields is None:
                update_fields = [
                    f.name
                    for f in self._meta.concrete_fields
                    if not f.primary_key and f.name not in withheld
                ]
            elif withheld & set(update_fields):
                raise WithheldFieldError(
                    f"{', '.join(sorted(withheld))} of {self!r} was withheld from this reader "
                    "and cannot be saved."
                )
        super().save(*args, update_fields=update_fields, **kwargs)

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        internal = set(scope_of(type(self)).internal)
        deferred = self.get_deferred_fields()
        withheld = {f for f in (fields or ()) if f in internal and f in deferred}
        if withheld:
            # A deferred internal field was withheld by restrict(): it stays unread.
            self._withheld = getattr(self, "_withheld", set()) | withheld
            for name in withheld:
                setattr(self, name, None)
            fields = [f for f in fields if f not in withheld]
            if not fields:
                return
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
