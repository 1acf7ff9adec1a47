"""A gate's gatekeepers (named by owners and admins) and the vote page every insider reads
and each gatekeeper votes on — the page the notification e-mail links to. Vendor contacts
reach neither: `gate.view` is internal."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone

from accounts.access import check_permission, get_scoped, member_required
from accounts.models import Membership
from accounts.templatetags.people import person
from handover.htmx import invalid_form_status, render_page

from .. import votes
from ..enums import VoteChoice, VoteRule
from ..gates import gate_closed_reason
from ..models import Engagement, GateDecision, GateVote

READINESS_PARTIAL = "engagements/gates/_readiness.html"
# How a refused vote answers a plain post (htmx always gets 200 with the reason in place).
REFUSAL_STATUS = {
    votes.VoteError.NOT_GATEKEEPER: 403,
    votes.VoteError.ALREADY_VOTED: 422,
    votes.VoteError.CLOSED: 409,
    votes.VoteError.STALE: 409,
    votes.VoteError.INVALID: 422,
}


class VoteForm(forms.Form):
    choice = forms.ChoiceField(
        label="Your vote",
        choices=VoteChoice.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose approve, reject or abstain."},
    )
    comment = forms.CharField(
        label="Comment",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why: what in the evidence convinced you, or what is missing (needed for a "
        "rejection). The owner and the board read it beside the decision.",
    )
    # The round the page showed: a decision recorded meanwhile starts a new one.
    round = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)

    def clean(self):
        cleaned = super().clean()
        error = votes.comment_error(cleaned.get("choice", ""), cleaned.get("comment", ""))
        if error:
            self.add_error("comment", error)
        return cleaned


class KeeperChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, membership: Membership) -> str:
        return f"{person(membership.user)} ({membership.get_role_display()})"


class GatekeepersForm(forms.Form):
    gatekeepers = KeeperChoiceField(
        queryset=Membership.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Gatekeepers",
        help_text="Internal members, board members included, who vote before the owner "
        "decides. Each newly named gatekeeper is e-mailed a link to vote. None: the owner "
        "decides without a vote.",
        error_messages={
            "invalid_choice": "One of those people is no longer an internal member here; "
            "reload the page.",
        },
    )
    rule = forms.ChoiceField(
        label="Rule",
        choices=VoteRule.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the rule: all approve, or a majority."},
        help_text="A decision against the votes under this rule needs a reason: Go or "
        "Conditional Go before the votes pass, No-Go once they have.",
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gatekeepers"].queryset = candidates


def _gate(request, pk: int, number: int):
    """The engagement (with its phases) and its gate `number` (with its decisions), or 404."""
    engagement = get_scoped(request, Engagement.objects.prefetch_related("phases"), pk=pk)
    decisions = GateDecision.objects.select_related("decided_by")
    gate = get_object_or_404(
        engagement.gates.prefetch_related(Prefetch("decisions", queryset=decisions)),
        number=number,
    )
    gate.engagement = engagement
    return engagement, gate


def _candidates(request):
    return votes.gatekeeper_candidates(Membership.objects.restrict(request.membership))


@member_required("gate.view")
def gatekeepers(request, pk, number):
    """Name a gate's gatekeepers and its rule (owners and admins); others read who they are."""
    engagement, gate = _gate(request, pk, number)
    closed = votes.gatekeepers_closed_reason(engagement, gate.decision_list)
    may_edit = request.membership.can("gate.edit")
    form, status = None, 200
    if request.method == "POST":
        check_permission(request.membership, "gate.edit")
        form = GatekeepersForm(request.POST, candidates=_candidates(request))
        if closed:
            # A stale tab: say what happened, change nothing.
            form.add_error(None, closed)
            status = 409
        elif form.is_valid():
            try:
                added = votes.set_gatekeepers(
                    gate,
                    form.cleaned_data["gatekeepers"],
                    form.cleaned_data["rule"],
                    by=request.user,
                )
            except votes.VoteError as exc:
                form.add_error(None, str(exc))
                status = REFUSAL_STATUS[exc.kind]
            else:
                _saved_message(request, gate, form.cleaned_data, added)
                url = reverse("engagements:detail", args=[engagement.pk])
                return redirect(f"{url}#gate-{gate.number}")
        else:
            status = 422
        if request.htmx:
            status = 200
    elif may_edit and not closed:
        form = GatekeepersForm(
            candidates=_candidates(request),
            initial={"gatekeepers": gate.gatekeepers.all(), "rule": gate.vote_rule},
        )
    context = {
        "engagement": engagement,
        "gate": gate,
        "form": form,
        "closed_reason": closed,
        "tally": votes.tally_for(gate),
    }
    return render_page(request, "engagements/gates/gatekeepers.html", context, status=status)


def _saved_message(request, gate, data, added) -> None:
    names = ", ".join(person(m.user) for m in data["gatekeepers"])
    rule = VoteRule(data["rule"]).label.lower()
    if names:
        text = f"Gatekeepers of gate {gate.number}: {names} ({rule})."
    else:
        text = f"Gate {gate.number} has no gatekeepers now: the owner decides without a vote."
    if added:
        text += " E-mailed a link to vote to " + ", ".join(person(m.user) for m in added) + "."
    messages.success(request, text)


@member_required("gate.view")
def gate_vote(request, pk, number):
    """The question, the evidence, the votes so far, and the vote form for a gatekeeper who
    has not voted this round."""
    engagement, gate = _gate(request, pk, number)
    form, status = None, 200
    if request.method == "POST":
        check_permission(request.membership, "gate.vote")
        form = VoteForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                vote = votes.cast_vote(
                    gate,
                    voter=request.user,
                    choice=data["choice"],
                    comment=data["comment"],
                    expected_round=data["round"],
                )
            except votes.VoteError as exc:
                form = _rebound(request.POST, gate)
                form.add_error(None, str(exc))
                status = REFUSAL_STATUS[exc.kind]
            else:
                messages.success(
                    request, f"Your vote on gate {gate.number}: {vote.get_choice_display()}."
                )
                if not request.htmx:
                    return redirect("engagements:vote", pk=engagement.pk, number=gate.number)
                form = None
                engagement, gate = _gate(request, pk, number)
        else:
            status = invalid_form_status(request)
        if request.htmx:
            status = 200
    context = _vote_context(request, engagement, gate, form)
    return render_page(
        request, "engagements/gates/vote.html", context, partial="body", status=status
    )


def _rebound(data, gate) -> VoteForm:
    """The posted form, now for the gate's current round: sending it again after reading why
    it was refused is a deliberate vote on the round as it stands."""
    data = data.copy()
    data["round"] = str(votes.current_round(gate))
    form = VoteForm(data)
    form.is_valid()
    return form


def _vote_context(request, engagement, gate, form):
    today = timezone.localdate()
    tally = votes.tally_for(gate)
    closed = gate_closed_reason(engagement, gate.number, engagement.phase_list, gate.decision_list)
    may_vote = tally.is_pending(request.user) and not closed and request.membership.can("gate.vote")
    if form is None and may_vote:
        form = VoteForm(initial={"round": tally.round})
    earlier = []
    if gate.decision_list:  # the votes each recorded decision followed
        cast = list(
            GateVote.objects.filter(gate=gate, round__lt=tally.round).select_related("voter")
        )
        for index, decision in enumerate(gate.decision_list):
            earlier.append((decision, [v for v in cast if v.round == index]))
    return {
        "engagement": engagement,
        "gate": gate,
        "tally": tally,
        "form": form,
        "may_vote": may_vote,
        "closed_reason": closed,
        "is_gatekeeper": any(m.user_id == request.user.pk for m in tally.gatekeepers),
        "my_vote": tally.vote_of(request.user),
        "earlier_rounds": [(d, vs) for d, vs in earlier if vs],
        "readiness": _readiness(gate, today),
        "today": today,
    }


def _readiness(gate, today):
    """The gate's readiness from the criteria module, or None while its partial is missing."""
    try:
        get_template(READINESS_PARTIAL)
    except TemplateDoesNotExist:  # pragma: no cover - the criteria partial arrives in parallel
        return None
    from ..criteria import readiness_for

    return readiness_for(gate, today)
