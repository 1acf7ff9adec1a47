"""`manage.py seed_demo [--org SLUG] [--engagements N] [--password P]` — idempotent."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Membership, Organisation
from accounts.roles import Role
from engagements.demo import seed_engagements


class Command(BaseCommand):
    help = "Create (or top up) a demo organisation with one user per role and N engagements."

    def add_arguments(self, parser):
        parser.add_argument("--org", default="demo", help="organisation slug (default: demo)")
        parser.add_argument("--engagements", type=int, default=6, help="how many (default: 6)")
        parser.add_argument("--password", default="demo", help="every demo user's password")

    def handle(self, *, org: str, engagements: int, password: str, **options):
        slug = slugify(org)
        if not slug or slug != org:
            raise CommandError(f"--org must be a slug such as 'demo' or 'alpha' (got {org!r}).")
        if engagements < 0:
            raise CommandError("--engagements must be zero or more.")
        with transaction.atomic():
            organisation, _ = Organisation.objects.get_or_create(
                slug=slug,
                defaults={
                    "name": "Demo Corp" if slug == "demo" else f"{slug.title()} Corp",
                    "is_demo": True,
                },
            )
            if not organisation.is_demo:
                # Never reset real people's passwords or add demo users to a real company.
                raise CommandError(
                    f"Organisation “{slug}” exists and is not a demo organisation; "
                    "choose another --org."
                )
            members = self._members(organisation, slug, make_password(password))
            added = seed_engagements(
                organisation,
                engagements,
                owner=members[Role.OWNER],
                vendor=members[Role.VENDOR],
                today=timezone.localdate(),
            )
        total = organisation.engagements.count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Organisation “{organisation.name}” ({slug}): {total} engagements ({added} added)."
            )
        )
        self.stdout.write(f"Log in at {settings.SITE_URL}/ with password “{password}” as:")
        for role, membership in members.items():
            self.stdout.write(f"  {membership.user.username:<28} {role.label}")

    def _members(self, organisation, slug, password_hash) -> dict[Role, Membership]:
        User = get_user_model()
        members = {}
        for role in Role:
            email = f"{role.value}@{slug}.example"
            user, _ = User.objects.update_or_create(
                username=email, defaults={"email": email, "password": password_hash}
            )
            members[role], _ = Membership.objects.update_or_create(
                user=user, organisation=organisation, defaults={"role": role}
            )
        return members
