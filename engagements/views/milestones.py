"""Milestones per phase: owners and admins plan them (add, edit, delete); the engagement's
vendor contacts mark status and evidence. One page per engagement, edited inline with htmx
where the browser runs it, and by plain forms where it does not."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.access import check_permission, get_scoped, member_required
from accounts.tenancy import RestrictedPrefetch
from handover.htmx import invalid_form_status, render_page

from ..forms.delivery import (
    DATE,
    EVIDENCE_FIELDS,
    EVIDENCE_WIDGETS,
    EvidenceFormMixin,
    PersonChoiceField,
    assignable_people,
    evidence_link_field,
    span_error,
)
from ..health import prefetched_milestones
from ..milestone_norms import missing_milestone_warnings, score_advice
from ..models import Engagement, Milestone, Phase, PhaseStatus

TEMPLATE = "engagements/milestones/page.html"


class MilestoneUpdateForm(EvidenceFormMixin, forms.ModelForm):
    """What a vendor contact may change: the status and the evidence."""

    evidence_link = evidence_link_field()

    class Meta:
        model = Milestone
        fields = ["status", *EVIDENCE_FIELDS]
        widgets = EVIDENCE_WIDGETS


class MilestoneForm(EvidenceFormMixin, forms.ModelForm):
    """The whole milestone, for owners and admins."""

    evidence_link = evidence_link_field()

    class Meta:
        model = Milestone
        fields = ["phase", "title", "due_date", "owner", "status", *EVIDENCE_FIELDS]
        widgets = {"due_date": DATE, **EVIDENCE_WIDGETS}
        field_classes = {"owner": PersonChoiceField}
        help_texts = {
            "title": "A process step (“end-to-end pipeline deployed in staging”), not a score.",
        }
        error_messages = {"title": {"required": "Give the milestone a title."}}

    def __init__(self, *args, engagement: Engagement, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.engagement = engagement
        # The engagement's phases that will still run, from its prefetched plan: no query.
        self.phases = {p.pk: p for p in engagement.phase_list if p.status != PhaseStatus.CANCELLED}
        self.fields["phase"] = forms.TypedChoiceField(
            label="Phase",
            coerce=int,
            choices=[(pk, f"{p.number}. {p.name}") for pk, p in self.phases.items()],
            error_messages={
                "invalid_choice": "Choose one of the phases of this engagement that will still run."
            },
        )
        self.fields["owner"].queryset = assignable_people(membership, engagement)
        self.fields["owner"].empty_label = "Nobody yet"
        self.fields["owner"].error_messages["invalid_choice"] = (
            "Choose someone from your organisation or this engagement's vendor contacts."
        )

    def clean_phase(self):
        return self.phases[self.cleaned_data["phase"]]

    def clean_due_date(self):
        day = self.cleaned_data["due_date"]
        error = span_error(self.engagement, day)
        if error:
            raise forms.ValidationError(error)
        return day

    def clean(self):
        cleaned = super().clean()
        phase, day = cleaned.get("phase"), cleaned.get("due_date")
        if phase and day and not phase.planned_start <= day <= phase.planned_end:
            self.add_error(
                "due_date",
                f"Enter a date within phase {phase.number}, {phase.name}: "
                f"{phase.planned_start:%-d %b %Y} to {phase.planned_end:%-d %b %Y}.",
            )
        return cleaned

    def save(self, commit=True):
        self.instance.engagement = self.engagement
        return super().save(commit)


def swapped_into(request, url: str) -> bool:
    """Whether this is an htmx request from the page at `url` (the list a row is swapped
    back into), not from the item's own page or anywhere else."""
    if not request.htmx:
        return False
    current = request.htmx.current_url_abs_path or ""
    return current.split("?")[0].split("#")[0] == url


def _engagement(request, pk):
    membership = request.membership
    queryset = Engagement.objects.prefetch_related(
        RestrictedPrefetch("phases", membership, Phase.objects.all()),
        RestrictedPrefetch("milestones", membership, Milestone.objects.for_list()),
    )
    return get_scoped(request, queryset, pk=pk)


def _form_for(request, engagement, milestone=None, data=None, files=None):
    if request.membership.can("milestone.edit"):
        return MilestoneForm(
            data,
            files,
            instance=milestone,
            engagement=engagement,
            membership=request.membership,
            initial=None if milestone else {"phase": _default_phase(engagement)},
        )
    return MilestoneUpdateForm(data, files, instance=milestone)


def _default_phase(engagement):
    """New milestones go to the phase under way, else the first still to run."""
    running = [p for p in engagement.phase_list if p.status in (PhaseStatus.ACTIVE, "planned")]
    return running[0].pk if running else None


def _page_context(request, engagement, form=None):
    grouped = prefetched_milestones(engagement) or {}
    phases = [
        {
            "phase": phase,
            "milestones": [
                {"milestone": m, "advice": score_advice(m.score_promise)}
                if m.score_promise
                else {"milestone": m, "advice": ""}
                for m in grouped.get(phase.number, [])
            ],
        }
        for phase in engagement.phase_list
    ]
    may_edit = request.membership.can("milestone.edit")
    if form is None and may_edit:
        form = _form_for(request, engagement)
    return {
        "engagement": engagement,
        "phases": phases,
        "warnings": missing_milestone_warnings(engagement.phase_list, grouped),
        "form": form if may_edit else None,
    }


@member_required("milestone.view")
def milestones(request, pk):
    """The engagement's milestones by phase, with the plan's milestone norms; owners and admins
    add one with the form at the foot of the page."""
    engagement = _engagement(request, pk)
    form = None
    if request.method == "POST":
        check_permission(request.membership, "milestone.edit")
        form = _form_for(request, engagement, data=request.POST, files=request.FILES)
        if form.is_valid():
            milestone = form.save()
            messages.success(request, f"Milestone “{milestone.title}” added.")
            return redirect("engagements:milestones", pk=engagement.pk)
    status = invalid_form_status(request) if form is not None else 200
    return render_page(request, TEMPLATE, _page_context(request, engagement, form), status=status)


@member_required("milestone.update")
def milestone_edit(request, pk, milestone_id):
    """Edit one milestone: all of it for owners and admins, status and evidence for vendor
    contacts on milestones owned by a vendor contact or nobody (`vendor_may_update`). On the
    milestones page htmx swaps the form into the milestone's row and the row back on save; a
    save from the milestone's own page returns to the milestones page."""
    engagement = _engagement(request, pk)
    milestone = get_scoped(
        request, Milestone.objects.for_list(), "update", pk=milestone_id, engagement=engagement
    )
    if not request.membership.can("milestone.edit") and not milestone.vendor_may_update:
        raise PermissionDenied(
            f"“{milestone.title}” is owned by the client's own team, who confirm it; the "
            "vendor's contacts update the milestones they own or that nobody owns."
        )
    data = request.POST if request.method == "POST" else None
    form = _form_for(request, engagement, milestone, data, request.FILES or None)
    context = {
        "engagement": engagement,
        "milestone": milestone,
        "form": form,
        "inline": bool(request.htmx),
    }
    if data is not None and form.is_valid():
        milestone = form.save()
        messages.success(request, f"Milestone “{milestone.title}” saved.")
        page = reverse("engagements:milestones", args=[engagement.pk])
        if not request.htmx:
            return redirect(page)
        if not swapped_into(request, page):
            return HttpResponseClientRedirect(page)
        advice = score_advice(milestone.score_promise) if milestone.score_promise else ""
        row = {"milestone": milestone, "advice": advice}
        return render_page(request, TEMPLATE, context | {"row": row}, partial="row")
    status = invalid_form_status(request) if data is not None else 200
    template = "engagements/milestones/edit.html"
    return render_page(request, template, context, partial="form", status=status)


@require_POST
@member_required("milestone.edit")
def milestone_delete(request, pk, milestone_id):
    engagement = get_scoped(request, Engagement.objects, pk=pk)
    milestone = get_scoped(
        request, Milestone.objects, "edit", pk=milestone_id, engagement=engagement
    )
    title = milestone.title
    milestone.delete()
    messages.success(request, f"Milestone “{title}” deleted.")
    return redirect("engagements:milestones", pk=engagement.pk)
