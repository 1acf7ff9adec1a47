"""`manage.py seed_demo [--org SLUG] [--engagements N] [--password P]` — idempotent.

Each installed app contributes through its `demo.py` (see `handover.seeding`)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from handover.seeding import DEFAULT_PASSWORD, Demo, contributors


class Command(BaseCommand):
    help = "Create (or top up) a demo organisation with one user per role and N engagements."

    def add_arguments(self, parser):
        parser.add_argument("--org", default="demo", help="organisation slug (default: demo)")
        parser.add_argument("--engagements", type=int, default=6, help="how many (default: 6)")
        parser.add_argument(
            "--password", default=DEFAULT_PASSWORD, help="every demo user's password"
        )

    def handle(self, *, org: str, engagements: int, password: str, **options):
        slug = slugify(org)
        if not slug or slug != org:
            raise CommandError(f"--org must be a slug such as 'demo' or 'alpha' (got {org!r}).")
        if engagements < 0:
            raise CommandError("--engagements must be zero or more.")
        if password == DEFAULT_PASSWORD and not settings.DEBUG:
            raise CommandError(
                "With DEBUG=0 the demo users need a password of your own: --password P "
                f"(the default “{DEFAULT_PASSWORD}” is printed in the README)."
            )
        demo = Demo(
            slug=slug, engagements=engagements, password=password, today=timezone.localdate()
        )
        with transaction.atomic():
            for _label, seed in contributors():
                seed(demo)
        for line in demo.summary:
            self.stdout.write(self.style.SUCCESS(line))
        self.stdout.write(f"Log in at {settings.SITE_URL}/ with password “{password}” as:")
        for role, membership in demo.members.items():
            self.stdout.write(f"  {membership.user.username:<28} {role.label}")
