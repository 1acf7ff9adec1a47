"""Form pieces shared by milestones, handover checklists and the decision log: the people an
item may be assigned to, the engagement's dates, and evidence (note, link, document)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from accounts.models import Membership
from accounts.roles import INTERNAL
from accounts.templatetags.people import person

from ..models import Engagement, PhaseStatus

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
EVIDENCE_FIELDS = ["evidence_note", "evidence_link", "evidence_document"]
EVIDENCE_WIDGETS = {"evidence_note": forms.Textarea(attrs={"rows": 2})}


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
