"""`manage.py createorg NAME --admin EMAIL`: a new organisation and its first admin's
invitation link (valid for INVITATION_MAX_AGE; printed, not mailed)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from accounts import invitations
from accounts.models import Organisation
from accounts.roles import Role

SLUG_LENGTH = Organisation._meta.get_field("slug").max_length


def unique_slug(name: str) -> str:
    base = slugify(name)[: SLUG_LENGTH - 4].strip("-") or "organisation"
    slug, n = base, 1
    while Organisation.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


class Command(BaseCommand):
    help = "Create an organisation and print the invitation link for its first admin."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the organisation's name, e.g. 'Acme Ltd'")
        parser.add_argument("--admin", required=True, metavar="EMAIL", help="the first admin")

    def handle(self, *args, name: str, admin: str, **options):
        name = name.strip()
        if not name or len(name) > Organisation._meta.get_field("name").max_length:
            raise CommandError("Give the organisation a name of 1 to 200 characters.")
        if any(not character.isprintable() for character in name):
            # It goes into e-mail subjects, where a line break is refused outright.
            raise CommandError("The organisation's name must be one line of printable text.")
        email = invitations.normalise_email(admin)
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"{admin!r} is not an e-mail address.") from exc
        try:
            with transaction.atomic():
                organisation = Organisation.objects.create(name=name, slug=unique_slug(name))
                invitation = invitations.invite(organisation, email, Role.ADMIN, invited_by=None)
        except IntegrityError as exc:  # someone took the slug a moment ago
            raise CommandError(f"Could not create {name!r}: {exc}. Try again.") from exc
        self.stdout.write(f"Created {organisation.name} (slug: {organisation.slug}).")
        self.stdout.write(
            f"Send this link to {email}; it makes them the organisation's admin and works once, "
            f"for {settings.INVITATION_MAX_AGE.days} days:"
        )
        self.stdout.write(invitations.link(invitation))
