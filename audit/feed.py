"""The activity feed: audit snapshots turned into "who did what, when, from what to what".

`build_feed(membership, querysets)` takes historical querysets already narrowed to a subject
(an engagement's phases, an organisation's everything), restricts each for the member, and
returns the newest entries first. Each queryset costs two queries however many rows there
are: the snapshots (with their user, related rows and the id of the snapshot before each),
then the snapshots before the changed ones, to compare with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from heapq import merge
from itertools import islice

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import OuterRef, Subquery
from django.utils import formats

from accounts.templatetags.people import person
from accounts.tenancy import may_read_internal, scope_of

from .models import ACTIONS

PAGE_SIZE = 100
EMPTY = "—"


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass
class Entry:
    when: datetime
    user: object  # the user who made the change, or None outside a request (seed, commands)
    what: str  # the model's verbose name: "engagement", "gate decision"
    object: str  # the record as it read then
    action: str  # "created", "changed" or "deleted"
    context: str = ""  # the record it belongs to ("in <engagement>"), if the model names one
    changes: list[Change] = field(default_factory=list)


@dataclass
class Feed:
    entries: list[Entry]
    # The instant the next (older) page starts at (inclusive), or None on the last page.
    older: datetime | None = None

    @property
    def cursor(self) -> str:
        return self.older.astimezone(UTC).isoformat() if self.older else ""


def parse_cursor(value: str | None) -> datetime | None:
    """The `before` query parameter, or None when absent; ValueError when it is not one."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("a cursor carries its time zone")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 9999-12-31 at UTC-12 is past the end of time
        raise ValueError("a cursor within the calendar") from None


def build_feed(membership, querysets, *, limit: int = PAGE_SIZE, before=None) -> Feed:
    """The latest `limit` changes in `querysets` (historical querysets) that `membership` may
    read, newest first, from `before` (inclusive) back."""
    fetched = [_snapshots(qs, membership, limit, before) for qs in querysets]
    newest_first = list(merge(*fetched, key=lambda r: (r.history_date, r.history_id), reverse=True))
    page, older = newest_first[:limit], None
    if len(newest_first) > limit:
        # The next page starts at the first row not shown, and takes every row of its instant
        # (a bulk insert stamps several), so none is skipped or shown twice.
        older = newest_first[limit].history_date
        page = [r for r in page if r.history_date > older] or page
        if page[-1].history_date == older:  # a whole page of one instant: move past it
            older -= timedelta(microseconds=1)

    previous = _previous_snapshots(membership, page)
    links = _links(membership, [r for r in page if r.history_type == "~"], previous)
    entries = []
    for record in page:
        entry = _entry(record, previous, links, membership)
        # A save that changed nothing this reader may see (only a timestamp) is not news.
        if entry.action != "changed" or entry.changes:
            entries.append(entry)
    return Feed(entries, older)


def _related_names(model) -> list[str]:
    names = [f.name for f in model.tracked_fields if isinstance(f, models.ForeignKey)]
    if model.audit_context:
        names.append(model.audit_context)
    return names


def _snapshots(queryset, membership, limit, before) -> list:
    model = queryset.model
    pk = model.instance_type._meta.pk.attname
    earlier = (
        model._default_manager.filter(
            **{pk: OuterRef(pk), "history_id__lt": OuterRef("history_id")}
        )
        .order_by("-history_id")
        .values("history_id")[:1]
    )
    rows = (
        queryset.restrict(membership, "view")
        .select_related("history_user", *_related_names(model))
        .annotate(previous_id=Subquery(earlier))
        .order_by("-history_date", "-history_id")
    )
    if before is not None:
        rows = rows.filter(history_date__lte=before)
    return list(islice(rows, limit + 1))


def _previous_snapshots(membership, page) -> dict:
    """{(historical model, history_id): snapshot} for the snapshot before each change."""
    wanted: dict = {}
    for record in page:
        if record.history_type == "~" and record.previous_id:
            wanted.setdefault(type(record), set()).add(record.previous_id)
    found = {}
    for model, ids in wanted.items():
        rows = (
            model.objects.restrict(membership, "view")
            .select_related(*_related_names(model))
            .filter(history_id__in=ids)
        )
        found.update({(model, row.history_id): row for row in rows})
    return found


def _links(membership, changed, previous) -> dict:
    """{(historical model, history_id, field name): {id: name}}: what each many-to-many field
    (`audited(m2m_fields=...)`) linked to at the changed snapshots and those before them, in
    one query per such field."""
    wanted: dict = {}
    for record in changed:
        before = previous.get((type(record), record.previous_id))
        for snapshot in (record, before) if before is not None else ():
            wanted.setdefault(type(snapshot), set()).add(snapshot.history_id)
    found: dict = {}
    for model, ids in wanted.items():
        for m2m in model._history_m2m_fields:
            links = getattr(model, m2m.name).model
            target = m2m.m2m_reverse_field_name()
            related = [target]
            if any(f.name == "user" for f in m2m.related_model._meta.concrete_fields):
                related.append(f"{target}__user")
            rows = links.objects.restrict(membership, "view").filter(history_id__in=ids)
            for row in rows.select_related(*related):
                key = (model, row.history_id, m2m.name)
                found.setdefault(key, {})[getattr(row, f"{target}_id")] = _name(
                    getattr(row, target)
                )
    return found


def _name(obj) -> str:
    """A linked record by name; a member as the person."""
    if obj is None:
        return "(removed)"
    user = getattr(obj, "user", None)
    if isinstance(obj, get_user_model()) or isinstance(user, get_user_model()):
        return person(obj if user is None else user)
    return str(obj)


def _entry(record, previous, links, membership) -> Entry:
    model = type(record)
    entry = Entry(
        when=record.history_date,
        user=record.history_user,
        what=str(model.instance_type._meta.verbose_name),
        object=_label(record),
        action=ACTIONS.get(record.history_type, record.history_type),
        context=_context(record),
    )
    before = previous.get((model, getattr(record, "previous_id", None)))
    if record.history_type == "~" and before is not None:
        entry.changes = _diff(before, record, membership) + _link_changes(before, record, links)
    return entry


def _link_changes(before, after, links) -> list[Change]:
    changes = []
    for m2m in type(after)._history_m2m_fields:
        old, new = (links.get((type(r), r.history_id, m2m.name), {}) for r in (before, after))
        if old.keys() != new.keys():
            changes.append(
                Change(
                    field=str(m2m.verbose_name),
                    before=", ".join(sorted(old.values())) or EMPTY,
                    after=", ".join(sorted(new.values())) or EMPTY,
                )
            )
    return changes


def _diff(before, after, membership) -> list[Change]:
    model = type(after)
    hidden = set() if may_read_internal(membership, model) else set(scope_of(model).internal)
    changes = []
    for tracked in model.tracked_fields:
        if tracked.primary_key or tracked.name in hidden or _is_timestamp(tracked):
            continue
        snapshot_field = model._meta.get_field(tracked.name)
        old, new = (getattr(r, snapshot_field.attname) for r in (before, after))
        if old != new:
            changes.append(
                Change(
                    field=str(tracked.verbose_name),
                    before=_display(before, snapshot_field),
                    after=_display(after, snapshot_field),
                )
            )
    return changes


def _is_timestamp(field) -> bool:
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def _display(record, snapshot_field) -> str:
    value = getattr(record, snapshot_field.attname)
    if value is None or value == "":
        return EMPTY
    if snapshot_field.is_relation:
        related = (
            snapshot_field.get_cached_value(record) if snapshot_field.is_cached(record) else None
        )
        if isinstance(related, get_user_model()):
            return person(related)
        return str(related) if related is not None else f"#{value}"
    if snapshot_field.choices:
        return str(dict(snapshot_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return formats.date_format(value, "j M Y, H:i")
    if isinstance(value, date):
        return formats.date_format(value, "j M Y")
    if isinstance(value, Decimal):
        return f"{value.normalize():,f}"
    return str(value)


def _label(record) -> str:
    """The record as it read when the snapshot was taken, without a query per row: the
    related rows `_snapshots` selected are handed to the rebuilt record."""
    instance = record.history_object
    for tracked in type(record).tracked_fields:
        snapshot_field = type(record)._meta.get_field(tracked.name)
        if snapshot_field.is_relation and snapshot_field.is_cached(record):
            tracked.set_cached_value(instance, snapshot_field.get_cached_value(record))
    try:
        return str(instance)
    except (AttributeError, KeyError, TypeError, ValueError):
        return f"{instance._meta.verbose_name} #{instance.pk}"


def _context(record) -> str:
    path = type(record).audit_context
    if not path:
        return ""
    target = record
    for hop in path.split("__"):
        target = getattr(target, hop, None) if target is not None else None
    return str(target) if target is not None else ""
