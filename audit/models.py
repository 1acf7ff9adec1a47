"""The audit trail: who changed which tenant record, when, and from what to what.

django-simple-history keeps one historical table per audited model, with a full snapshot of
the row at every insert, update and delete, the user of the request that made it (through
`HistoryRequestMiddleware`; none outside requests) and the time. `audited()` makes that table a
tenant model like any other: it derives from `AuditedHistory`, so it has a `Scope` (resource
"audit": only roles holding "audit.view" read it, never vendor contacts) and a manager whose
queryset can `restrict()`. A model joins in one line::

    history = audited()

Each audit row records the organisation it belongs to when it is written
(`history_organisation`, resolved along the audited model's own `Scope.organisation` path), so
it stays scoped, and can be forgotten with its organisation, after the records it describes
are gone.
"""

from __future__ import annotations

import copy

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.dispatch import receiver
from simple_history.manager import HistoricalQuerySet
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from accounts.tenancy import Scope, TenantModel, TenantQuerySet, scope_of

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


def organisation_id_of(obj, path: str, memo: dict | None = None) -> int | None:
    """The organisation id at the end of the lookup `path` ("gate__engagement__organisation")
    from `obj`, an audited record or one of its snapshots; None when a link is gone.
    `memo` shares the rows fetched on the way between calls (bulk inserts)."""
    *hops, last = path.split("__")
    try:
        for hop in hops:
            key = (type(obj), hop, getattr(obj, obj._meta.get_field(hop).attname))
            if memo is not None and key in memo:
                obj = memo[key]
            else:
                obj = getattr(obj, hop)
                if memo is not None:
                    memo[key] = obj
            if obj is None:
                return None
        return getattr(obj, obj._meta.get_field(last).attname)
    except ObjectDoesNotExist:
        return None


class AuditQuerySet(TenantQuerySet, HistoricalQuerySet):
    """Snapshots restrict() like any tenant rows (and keep simple-history's helpers)."""

    def bulk_create(self, objs, *args, **kwargs):
        # `bulk_create_with_history` inserts snapshots without saving them one by one.
        memo: dict = {}
        for row in objs:
            if isinstance(row, AuditedHistory) and row.history_organisation_id is None:
                row.history_organisation_id = row.resolve_organisation(memo)
        return super().bulk_create(objs, *args, **kwargs)


class AuditedHistory(TenantModel):
    """Base of every historical model `audited()` creates."""

    # The organisation when the snapshot was taken: no constraint, so the audit row outlives
    # the records it describes until `forget_organisation` removes it.
    history_organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        editable=False,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )

    objects = AuditQuerySet.as_manager()

    # The lookup to the record a snapshot is shown "in" on the organisation's activity page
    # (e.g. a phase's "engagement"); set by `audited(context=...)`.
    audit_context: str | None = None
    # The audited model's fields its snapshots leave out (`audited(excluded_fields=...)`).
    audit_excluded: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        audited_model = cls.__dict__.get("instance_type")
        if audited_model is not None:
            # Readable by insiders only, with the audited model's internal fields still
            # internal: the snapshot holds what the record held.
            cls.scope = Scope(
                "audit",
                organisation="history_organisation",
                vendor=None,
                internal=tuple(
                    name
                    for name in scope_of(audited_model).internal
                    if name not in cls.__dict__.get("audit_excluded", ())
                ),
            )

    def resolve_organisation(self, memo: dict | None = None) -> int | None:
        return organisation_id_of(self, scope_of(self.instance_type).organisation, memo)

    def save(self, *args, **kwargs):
        if self.history_organisation_id is None:
            self.history_organisation_id = self.resolve_organisation()
        super().save(*args, **kwargs)


class AuditedM2MHistory(TenantModel):
    """Base of the snapshot of a many-to-many field (`audited(m2m_fields=[...])`): the links
    as they were at one snapshot (`history`) of the audited record, scoped through it."""

    scope = Scope("audit", organisation="history__history_organisation", vendor=None)

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class AuditedRecords(HistoricalRecords):
    """`HistoricalRecords` that builds `AuditedHistory` models."""

    def __init__(self, *, context: str | None = None, **options):
        self.audit_context = context
        super().__init__(**options)

    def get_extra_fields(self, model, fields):
        extra = super().get_extra_fields(model, fields)
        extra["audit_context"] = self.audit_context
        # Fields left out of the snapshots (derived figures) cannot be withheld from them.
        extra["audit_excluded"] = tuple(self.excluded_fields)
        return extra

    def create_historical_record(self, instance, history_type, using=None):
        # Snapshot what is stored, not the saver's partial copy: fields it deferred (`only()`)
        # or that restrict() withheld from it (which read as None) are read in one query,
        # into a copy, so the saver's instance learns nothing it was not given.
        stored = instance.__dict__.pop("_audit_stored", None) or self._stored_values(instance)
        if stored:
            instance = copy.copy(instance)
            for name, value in stored.items():
                setattr(instance, name, value)
        super().create_historical_record(instance, history_type, using=using)

    def m2m_changed(self, instance, action, attr, pk_set, reverse, **kwargs):
        if not reverse:
            return super().m2m_changed(instance, action, attr, pk_set, reverse, **kwargs)
        # Changed from the other side (`membership.assigned_engagements.clear()`): simple-history
        # would snapshot `instance` as if it were the audited model. Snapshot each audited record
        # whose links changed instead.
        if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
            return None
        linked = self.cls._base_manager.filter(**{attr: instance})
        if action == "pre_clear":
            instance.__dict__[f"_audit_cleared_{attr}"] = set(linked.values_list("pk", flat=True))
        elif action in ("post_add", "post_remove", "post_clear"):
            if action == "post_clear":
                pk_set = instance.__dict__.pop(f"_audit_cleared_{attr}", set())
            for record in self.cls._base_manager.filter(pk__in=pk_set or ()):
                self.create_historical_record(record, "~")
        return None

    def pre_delete(self, instance, **kwargs):
        # simple-history reloads deferred fields here; do it without withholding any.
        if getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
            instance._audit_stored = self._stored_values(instance)

    def _stored_values(self, instance) -> dict:
        tracked = {f.attname for f in self.fields_included(instance)}
        stale = (instance.get_deferred_fields() | getattr(instance, "_withheld", set())) & tracked
        if not stale or instance.pk is None:
            return {}
        rows = type(instance)._base_manager.filter(pk=instance.pk).values(*stale)
        return rows.first() or {}


def audited(*, context: str | None = None, **options) -> HistoricalRecords:
    """Record every change to this model in the audit trail: `history = audited()`.

    `context`: the lookup to the record this one belongs to, named next to it on the
    organisation's activity page ("engagement", "gate__engagement"). Other options go to
    django-simple-history's `HistoricalRecords`: `m2m_fields=["vendor_contacts"]` snapshots
    a many-to-many field too, `excluded_fields=[...]` leaves fields out."""
    return AuditedRecords(
        bases=[AuditedHistory],
        m2m_bases=[AuditedM2MHistory],
        historical_queryset=AuditQuerySet,
        context=context,
        **options,
    )


@receiver(pre_create_historical_record)
def _stamp_organisation(sender, instance, history_instance, **kwargs):
    """Resolve the organisation from the live record (its relations are usually loaded)."""
    if isinstance(history_instance, AuditedHistory):
        history_instance.history_organisation_id = organisation_id_of(
            instance, scope_of(type(instance)).organisation
        )


def audited_history_models() -> list[type[AuditedHistory]]:
    """Every historical model in the audit trail, in a stable order."""
    from django.apps import apps

    found = [m for m in apps.get_models() if issubclass(m, AuditedHistory)]
    return sorted(found, key=lambda m: m._meta.label)


def forget_organisation(organisation_id: int) -> int:
    """Delete every audit row of an organisation (when the organisation itself is deleted,
    after its records are: their deletion is recorded too). Returns how many went."""
    from django.apps import apps

    # Links first: they hang off the snapshots without a constraint that would cascade.
    links = [m for m in apps.get_models() if issubclass(m, AuditedM2MHistory)]
    return sum(
        model.objects.filter(history__history_organisation_id=organisation_id).delete()[0]
        for model in links
    ) + sum(
        model.objects.filter(history_organisation_id=organisation_id).delete()[0]
        for model in audited_history_models()
    )
