"""`manage.py deleteorg SLUG`: remove an organisation and everything it owns — its records
(by cascade), their files in storage, its audit trail, and the accounts of people who belong
nowhere else. Asks for the slug to be typed, unless `--yes`."""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError

from accounts.checks import project_models
from accounts.models import Organisation
from accounts.tenancy import Scope
from handover.uploads import delete_organisation_uploads


def stored_files(organisation: Organisation) -> list[tuple[object, str]]:
    """(storage, name) of every file a record of `organisation` points at, found through
    each model's Scope, so a new app's files go too without a change here."""
    found = []
    for model in project_models():
        scope = getattr(model, "scope", None)
        file_fields = [f for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
        if not isinstance(scope, Scope) or not file_fields:
            continue
        rows = model._base_manager.filter(**{scope.organisation: organisation})
        for field in file_fields:
            for name in rows.exclude(**{field.name: ""}).values_list(field.name, flat=True):
                if name:
                    found.append((field.storage, name))
    return found


class Command(BaseCommand):
    help = "Delete an organisation and ALL of its data. Asks you to type the slug."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument(
            "--yes", action="store_true", help="do not ask for confirmation (for scripts)"
        )

    def handle(self, *args, slug: str, yes: bool, **options):
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            raise CommandError(f"There is no organisation with the slug {slug!r}.")
        counts = {
            "members": organisation.memberships.count(),
            "engagements": getattr(organisation, "engagements", None)
            and organisation.engagements.count(),
        }
        if not yes:
            self.stdout.write(
                f"This deletes {organisation.name} ({slug}) with its {counts['members']} "
                f"membership(s), {counts['engagements'] or 0} engagement(s), every report and "
                "the audit trail. It cannot be undone."
            )
            answer = input(f"Type the slug ({slug}) to confirm: ")
            if answer.strip() != slug:
                raise CommandError("The slug did not match; nothing was deleted.")

        files = stored_files(organisation)
        member_ids = list(organisation.memberships.values_list("user_id", flat=True))
        with transaction.atomic():
            organisation_id = organisation.pk
            _, deleted = organisation.delete()
            forgotten = _forget_audit_trail(organisation_id)
            users = self._delete_lonely_users(member_ids)
            # Files go only once the rows pointing at them are really gone, and with them
            # anything left in the organisation's upload folder.
            transaction.on_commit(lambda: self._delete_files(files))
            transaction.on_commit(lambda: delete_organisation_uploads(organisation_id))
        rows = sum(deleted.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Deleted {organisation.name}: {rows} record(s), {forgotten} audit row(s), "
                f"{len(files)} file(s), {users} account(s) that belonged nowhere else."
            )
        )

    def _delete_lonely_users(self, user_ids) -> int:
        """Accounts left without any membership go, unless staff (support) — or still named
        on another organisation's records (an engagement they created there, a report they
        asked for, a change in its audit trail), which keep them: deleting the account would
        strip their name from records that are not ours to change."""
        deleted = 0
        lonely = get_user_model().objects.filter(
            pk__in=user_ids, memberships__isnull=True, is_staff=False, is_superuser=False
        )
        for user in lonely:
            if named_anywhere(user):
                self.stdout.write(f"Kept the account {user.email}: other records name it.")
                continue
            try:
                with transaction.atomic():
                    user.delete()
            except (ProtectedError, RestrictedError):
                self.stdout.write(f"Kept the account {user.email}: other records name it.")
            else:
                deleted += 1
        return deleted

    def _delete_files(self, files) -> None:
        for storage, name in files:
            try:
                storage.delete(name)
            except OSError as exc:
                self.stderr.write(f"Could not delete the file {name}: {exc}")


def _forget_audit_trail(organisation_id: int) -> int:
    try:
        from audit.models import forget_organisation
    except ImportError:  # no audit trail installed
        return 0
    return forget_organisation(organisation_id)


def named_anywhere(user) -> bool:
    """Whether any row of any model still points at `user` (run after the organisation's own
    rows are gone, so what is left belongs to others)."""
    user_model = get_user_model()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            points_at_users = field.many_to_one and field.related_model is user_model
            if (
                points_at_users
                and field.concrete
                and model._base_manager.filter(**{field.name: user}).exists()
            ):
                return True
    return False
