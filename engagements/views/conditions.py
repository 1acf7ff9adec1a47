"""The conditions of an engagement's Conditional Go decisions: the list (vendor contacts see
those of their engagements), and marking one done with a note on how it was met (owners,
admins, and the condition's own owner). With htmx the list is swapped in place, so a refused
post keeps the address of the conditions page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils import timezone

from accounts.access import get_scoped, member_required
from handover.htmx import invalid_form_status, render_page

from ..conditions import ConditionError, is_overdue, mark_done, mark_done_refusal
from ..models import Engagement, GateCondition

TEMPLATE = "engagements/gates/conditions.html"


class ConditionDoneForm(forms.Form):
    note = forms.CharField(
        label="How it was met",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say how the condition was met: it is part of the record."},
    )


@member_required("condition.view")
def conditions(request, pk):
    engagement = get_scoped(request, Engagement.objects, pk=pk)
    return _page(request, engagement, partial="")


def _page(request, engagement, *, failed=None, form=None, error="", status=200, partial="list"):
    today = timezone.localdate()
    membership = request.membership
    rows = list(
        GateCondition.objects.restrict(membership)
        .filter(engagement=engagement)
        .select_related("owner", "done_by", "decision__gate")
        .order_by("status", "due_date", "id")
    )
    may_update = membership.can("condition.update")
    items = []
    for condition in rows:
        markable = may_update and condition.is_open and not mark_done_refusal(membership, condition)
        items.append(
            {
                "condition": condition,
                "overdue": is_overdue(condition, today),
                "form": (
                    form if failed == condition.pk else ConditionDoneForm(prefix=f"c{condition.pk}")
                )
                if markable
                else None,
            }
        )
    context = {"engagement": engagement, "items": items, "error": error, "today": today}
    return render_page(request, TEMPLATE, context, partial=partial, status=status)


@member_required("condition.update")
def condition_done(request, condition_id):
    """Mark a condition done. Answers for the condition posted: if it was marked meanwhile,
    says by whom and when (409); someone who may not mark it gets 403 with the reason. htmx
    gets the list (errors in it, 200); a plain post that fails gets the page (422/409). A GET
    (a reload of the failed post's address) goes back to the conditions page."""
    condition = get_scoped(
        request,
        GateCondition.objects.select_related("owner"),
        "update",
        pk=condition_id,
    )
    if request.method != "POST":
        return redirect("engagements:conditions", pk=condition.engagement_id)
    engagement = get_scoped(request, Engagement.objects, pk=condition.engagement_id)
    refusal = mark_done_refusal(request.membership, condition)
    if refusal:
        raise PermissionDenied(refusal)
    form = ConditionDoneForm(request.POST, prefix=f"c{condition.pk}")
    if not form.is_valid():
        status = invalid_form_status(request)
        return _page(request, engagement, failed=condition.pk, form=form, status=status)
    try:
        done = mark_done(
            condition, by=request.user, note=form.cleaned_data["note"], today=timezone.localdate()
        )
    except ConditionError as exc:
        return _page(request, engagement, error=str(exc), status=200 if request.htmx else 409)
    messages.success(request, f"Condition “{done.title}” marked done.")
    if request.htmx:
        return _page(request, engagement)
    return redirect("engagements:conditions", pk=engagement.pk)
