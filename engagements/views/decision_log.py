"""The decision log page: entries newest first (or best match first when searching), a page
at a time, and the form to add one. Insiders and the engagement's vendor contacts write;
only an entry's author edits it (the audit trail keeps what it said before)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils import timezone

from accounts.access import check_permission, get_scoped, member_required
from accounts.tenancy import RestrictedPrefetch
from handover.htmx import invalid_form_status, render_page

from ..forms.delivery import DATE, past_date_error
from ..models import DecisionLogEntry, Engagement, Phase
from ..models.decision_log import SEARCH_MAX_LENGTH

PAGE_SIZE = 20
TEMPLATE = "engagements/decision_log/page.html"


class EntryForm(forms.ModelForm):
    class Meta:
        model = DecisionLogEntry
        fields = ["decided_on", "category", "context", "decision", "consequences"]
        widgets = {
            "decided_on": DATE,
            "context": forms.Textarea(attrs={"rows": 3}),
            "decision": forms.Textarea(attrs={"rows": 2}),
            "consequences": forms.Textarea(attrs={"rows": 2}),
        }
        error_messages = {
            "context": {"required": "Say what prompted the decision."},
            "decision": {"required": "Say what was decided."},
            "category": {"required": "Choose what the decision is about."},
        }

    def __init__(self, *args, engagement: Engagement, **kwargs):
        super().__init__(*args, **kwargs)
        self.engagement = engagement

    def clean_decided_on(self):
        day = self.cleaned_data["decided_on"]
        error = past_date_error(self.engagement, day, timezone.localdate())
        if error:
            raise forms.ValidationError(error)
        return day


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search the decision log", required=False, max_length=SEARCH_MAX_LENGTH
    )


def _engagement(request, pk):
    queryset = Engagement.objects.prefetch_related(
        RestrictedPrefetch("phases", request.membership, Phase.objects.all())
    )
    return get_scoped(request, queryset, pk=pk)


@member_required("decision_log.view")
def decision_log(request, pk):
    """The engagement's decision log, searchable; members who may write add entries here."""
    engagement = _engagement(request, pk)
    may_write = request.membership.can("decision_log.write")
    form = None
    if request.method == "POST":
        check_permission(request.membership, "decision_log.write")
        form = EntryForm(request.POST, engagement=engagement)
        if form.is_valid():
            entry = form.save(commit=False)
            entry.engagement, entry.author = engagement, request.user
            entry.save()
            messages.success(request, "Decision logged.")
            return redirect("engagements:decision_log", pk=engagement.pk)
    elif may_write:
        form = EntryForm(initial={"decided_on": timezone.localdate()}, engagement=engagement)
    search = SearchForm(request.GET or None)
    text = search.cleaned_data["q"] if search.is_valid() else ""
    entries = (
        DecisionLogEntry.objects.restrict(request.membership)
        .filter(engagement=engagement)
        .for_list()
        .search(text)
    )
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "engagement": engagement,
        "page": page,
        "search": search,
        "q": text,
        "form": form,
    }
    status = invalid_form_status(request) if request.method == "POST" else 200
    return render_page(request, TEMPLATE, context, partial="results", status=status)


@member_required("decision_log.write")
def decision_log_edit(request, pk, entry_id):
    """An entry's author corrects it; nobody else may (they log a new entry instead)."""
    engagement = _engagement(request, pk)
    entry = get_scoped(
        request, DecisionLogEntry.objects, "write", pk=entry_id, engagement=engagement
    )
    if entry.author_id != request.user.pk:
        raise PermissionDenied("Only its author can edit an entry: log a new one that corrects it.")
    form = EntryForm(request.POST or None, instance=entry, engagement=engagement)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Entry corrected; the log's history keeps the earlier wording.")
        return redirect("engagements:decision_log", pk=engagement.pk)
    status = invalid_form_status(request) if request.method == "POST" else 200
    context = {"engagement": engagement, "entry": entry, "form": form}
    return render_page(request, "engagements/decision_log/edit.html", context, status=status)
