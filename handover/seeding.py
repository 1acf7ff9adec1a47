"""Demo data that apps plug into: `manage.py seed_demo` builds a `Demo` and hands it to each
installed app's `demo.seed(demo)` in INSTALLED_APPS order (found the way the admin finds
`admin.py`), so a new module adds its demo data in its own `demo.py` without editing another
app. `accounts.demo` runs first and creates the organisation and one member per role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from importlib import import_module

from django.apps import apps
from django.utils.module_loading import module_has_submodule

DEFAULT_PASSWORD = "demo"  # noqa: S105  (printed on purpose: demo users are for trying the app)


@dataclass
class Demo:
    """What the contributors share: the options, and what earlier contributors created."""

    slug: str
    engagements: int
    password: str
    today: date
    organisation: object = None  # accounts.Organisation, set by accounts.demo
    members: dict = field(default_factory=dict)  # Role → Membership, set by accounts.demo
    summary: list[str] = field(default_factory=list)  # one line per contributor, printed


def contributors() -> Iterator[tuple[str, Callable[[Demo], None]]]:
    """(app label, seed function) for every installed app with a `demo.py` defining `seed`."""
    for config in apps.get_app_configs():
        if module_has_submodule(config.module, "demo"):
            module = import_module(f"{config.name}.demo")
            if callable(getattr(module, "seed", None)):
                yield config.label, module.seed
