"""Change requests (R26): the list with the propose form, and the recorded transitions —
approve or reject (owners), withdraw (the requester). Vendor contacts reach only the
engagements assigned to them (`get_scoped`), and never see money."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.access import get_scoped, member_required
from accounts.tenancy import may_read_internal
from handover.htmx import invalid_form_status

from .. import change_requests as workflow
from ..forms import MoneyField
from ..models import ChangeRequest, Engagement
from ..models.change_requests import MAX_IMPACT_WEEKS

DECISIONS = {"approve": workflow.approve, "reject": workflow.reject}


class ChangeRequestForm(forms.ModelForm):
    class Meta:
        model = ChangeRequest
        fields = ["title", "reason", "impact_weeks", "impact_money"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 3})}
        field_classes = {"impact_money": MoneyField}
        labels = {"title": "What should change"}
        help_texts = {
            "reason": "Why, and what it adds: a new data source, a second language, another model…",
            "impact_weeks": (
                "Weeks it adds to the plan (0 if none). On approval the current phase ends that "
                "much later and the phases after it move by as much."
            ),
        }
        error_messages = {
            "title": {"required": "Say what should change."},
            "reason": {"required": "Give the reason for the change."},
            "impact_weeks": {
                "required": "Enter the weeks it adds (0 if none).",
                "min_value": "The impact in weeks cannot be negative: enter 0 or more.",
                "max_value": f"Enter at most {MAX_IMPACT_WEEKS} weeks.",
                "invalid": "Enter a whole number of weeks.",
            },
            "impact_money": {
                "required": "Enter its cost (0 if none).",
                "min_value": "The cost cannot be negative: enter 0 or more.",
            },
        }

    def __init__(self, *args, engagement: Engagement, membership, **kwargs):
        super().__init__(*args, **kwargs)
        money = self.fields["impact_money"]
        money.label = f"Cost ({engagement.currency})"
        if may_read_internal(membership, ChangeRequest):
            money.help_text = "Added to the budget approved if it is approved (0 if none)."
        else:
            money.help_text = (
                "Your quote for the change (0 if none). It goes to the client's owners; money "
                "figures are not shown back on shared pages."
            )


def _engagement(request, pk):
    return get_scoped(request, Engagement.objects, pk=pk)


@member_required("change_request.view")
def change_requests(request, pk):
    return _page(request, _engagement(request, pk))


def _page(request, engagement, form=None, error: str = "", status: int = 200):
    membership = request.membership
    rows = list(ChangeRequest.objects.restrict(membership).filter(engagement=engagement).for_list())
    if form is None and membership.can("change_request.propose"):
        form = ChangeRequestForm(engagement=engagement, membership=membership)
    context = {
        "engagement": engagement,
        "change_requests": rows,
        "form": form,
        "closed_reason": workflow.closed_reason(engagement),
        "error": error,
        "with_money": may_read_internal(membership, ChangeRequest),
    }
    return render(request, "engagements/change_requests/list.html", context, status=status)


@require_POST
@member_required("change_request.propose")
def change_request_propose(request, pk):
    """Propose a change; a vendor contact only on an engagement assigned to them (404 else)."""
    engagement = _engagement(request, pk)
    form = ChangeRequestForm(request.POST, engagement=engagement, membership=request.membership)
    if form.is_valid():
        try:
            change = workflow.propose(engagement, requested_by=request.user, **form.cleaned_data)
        except workflow.ChangeRequestError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Change request “{change.title}” proposed.")
            return redirect("engagements:change_requests", pk=engagement.pk)
    return _page(request, engagement, form, status=invalid_form_status(request))


def _transition(request, pk, action, done: str):
    change = get_scoped(request, ChangeRequest.objects.select_related("engagement"), pk=pk)
    try:
        change = action(change, by=request.user)
    except workflow.ChangeRequestError as exc:
        engagement = get_scoped(request, Engagement.objects, pk=change.engagement_id)
        return _page(request, engagement, error=str(exc), status=409)
    messages.success(request, f"Change request “{change.title}” {done}.")
    return redirect("engagements:change_requests", pk=change.engagement_id)


@require_POST
@member_required("change_request.decide")
def change_request_decide(request, pk):
    """Approve or reject a proposed change request (owners)."""
    decision = request.POST.get("decision", "")
    if decision not in DECISIONS:
        change = get_scoped(request, ChangeRequest.objects, pk=pk)
        engagement = get_scoped(request, Engagement.objects, pk=change.engagement_id)
        return _page(request, engagement, error="Choose Approve or Reject.", status=400)
    done = (
        "approved: the plan and budget approved are updated"
        if decision == "approve"
        else ("rejected")
    )
    return _transition(request, pk, DECISIONS[decision], done)


@require_POST
@member_required("change_request.propose")
def change_request_withdraw(request, pk):
    """Withdraw one's own proposed change request."""
    return _transition(request, pk, workflow.withdraw, "withdrawn")
