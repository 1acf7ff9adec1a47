"""Form pieces shared by milestones, handover checklists and the decision log: the people an
item may be assigned to, the engagement's dates, and evidence (note, link, document)."""

from __future__ import annotations

from datetime import date
from pathlib import PurePath

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from accounts.models import Membership
from accounts.roles import INTERNAL
from accounts.templatetags.people import person

from ..models import Engagement, PhaseStatus

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
EVIDENCE_FIELDS = ["evidence_note", "evidence_link", "evidence_document"]
# A plain file input: Django's clearable one shows the storage path and links to /media/,
# which serves nothing (documents go through `files:download`). `EvidenceFormMixin` shows
# the current document by name, linked through the access check, and offers its removal.
EVIDENCE_WIDGETS = {
    "evidence_note": forms.Textarea(attrs={"rows": 2}),
    "evidence_document": forms.FileInput,
}


class EvidenceFormMixin:
    """For a ModelForm with `EVIDENCE_FIELDS`: `current_document` (the stored file's name, ""
    when none) for the template to link, and a "Remove the document" checkbox when there is
    one to remove."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = self.instance.evidence_document.name if self.instance.pk else ""
        self.current_document = PurePath(stored).name if stored else ""
        if self.current_document and "evidence_document" in self.fields:
            self.fields["remove_document"] = forms.BooleanField(
                label="Remove the document", required=False
            )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("remove_document") and self.files.get(self.add_prefix("evidence_document")):
            self.add_error(
                "remove_document",
                "Attach a new document or remove the current one, not both.",
            )
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        if self.cleaned_data.get("remove_document") and not self.errors:
            self.instance.evidence_document = ""  # the old file leaves storage on save


def evidence_link_field() -> forms.URLField:
    """The evidence link: a web address (https assumed when typed without a scheme)."""
    return forms.URLField(
        label="Evidence link",
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text="Where to see it: a pull request, a dashboard, a shared document.",
    )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user) -> str:
        return person(user)


def assignable_people(membership: Membership, engagement: Engagement):
    """Who may own a milestone or checklist item: the organisation's insiders and this
    engagement's vendor contacts (a vendor contact elsewhere cannot even see it), as the
    current member may see memberships (`member.view`)."""
    reachable = Membership.objects.restrict(membership).filter(
        Q(role__in=INTERNAL) | Q(assigned_engagements=engagement)
    )
    return (
        get_user_model()
        .objects.filter(memberships__in=reachable)
        .distinct()
        .order_by("first_name", "last_name", "email")
    )


def engagement_span(engagement: Engagement) -> tuple[date, date]:
    """From the start date to the end of the last phase that will still run (reads the
    prefetched phases)."""
    ends = [p.planned_end for p in engagement.phase_list if p.status != PhaseStatus.CANCELLED]
    return engagement.start_date, max(ends, default=engagement.start_date)


def span_error(engagement: Engagement, day: date | None) -> str:
    """Why a planned date (a milestone's due date) falls outside the engagement's plan, or ""."""
    if day is None:
        return ""
    start, end = engagement_span(engagement)
    if start <= day <= end:
        return ""
    return f"Enter a date within the engagement: {start:%-d %b %Y} to {end:%-d %b %Y}."


def past_date_error(engagement: Engagement, day: date | None, today: date) -> str:
    """Why the date something happened (a decision, an item done) cannot be `day`, or "":
    not before the engagement started, not in the future. After the planned end is fine:
    engagements run late, and what happened then is still worth recording."""
    if day is None:
        return ""
    if day < engagement.start_date:
        return (
            f"Enter a date within the engagement: it started on {engagement.start_date:%-d %b %Y}."
        )
    if day > today:
        return f"That is in the future: enter a date up to today, {today:%-d %b %Y}."
    return ""
