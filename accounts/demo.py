"""The demo organisation and one member per role; runs before every other app's demo."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import CommandError

from handover.seeding import Demo

from .models import Membership, Organisation
from .roles import Role

NAMES = {
    Role.ADMIN: ("Ada", "Admin"),
    Role.OWNER: ("Olivia", "Owens"),
    Role.PROCUREMENT: ("Priya", "Patel"),
    Role.BOARD: ("Bernard", "Byrne"),
    Role.VENDOR: ("Victor", "Vance"),
}


def seed(demo: Demo) -> None:
    organisation, _ = Organisation.objects.get_or_create(
        slug=demo.slug,
        defaults={
            "name": "Demo Corp" if demo.slug == "demo" else f"{demo.slug.title()} Corp",
            "is_demo": True,
        },
    )
    if not organisation.is_demo:
        # Never reset real people's passwords or add demo users to a real company.
        raise CommandError(
            f"Organisation “{demo.slug}” exists and is not a demo organisation; "
            "choose another --org."
        )
    password_hash = make_password(demo.password)
    User = get_user_model()
    for role in Role:
        email = f"{role.value}@{demo.slug}.example"
        first, last = NAMES[role]
        user, _ = User.objects.update_or_create(
            username=email,
            defaults={
                "email": email,
                "password": password_hash,
                "first_name": first,
                "last_name": last,
            },
        )
        demo.members[role], _ = Membership.objects.update_or_create(
            user=user, organisation=organisation, defaults={"role": role}
        )
    demo.organisation = organisation
