"""Serialise rows as their reader may see them: a field the role may not read is absent from
the dict (not None), decided by the same `readable_fields` that decides what pages show."""

from __future__ import annotations

from collections.abc import Callable

from accounts.tenancy import readable_fields


def projection(membership, model, fields: tuple[str, ...]) -> Callable[[object], dict]:
    """A function turning a `model` row into a dict of those `fields` `membership` may read."""
    readable = set(readable_fields(membership, model))
    shown = [name for name in fields if name in readable]
    return lambda obj: {name: getattr(obj, name) for name in shown}
