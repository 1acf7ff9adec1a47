"""A gate's criteria page: each criterion with its state, the reason and a link to the data
behind it, the gate's readiness and recommendation; owners and admins add, edit and remove
criteria and give or refresh evidence in place (htmx swaps the page body, since one change
moves the readiness), and every form also posts and redirects without JavaScript.

The writes are `criteria_actions` workflows (gate row locked); a decided gate's criteria are
read-only."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import get_scoped, member_required
from accounts.tenancy import RestrictedPrefetch
from handover.htmx import invalid_form_status, message_fragment, render_page

from ..criteria import gate_readiness
from ..criteria_actions import (
    CriterionError,
    delete_criterion,
    give_evidence,
    read_only_reason,
    save_criterion,
)
from ..enums import CriterionCheck, CriterionKind
from ..facts import facts_for
from ..forms.criteria import CriterionForm, EvidenceForm
from ..models import Engagement, Gate, GateCriterion, GateDecision, Phase, RiskSettings

TEMPLATE = "engagements/gates/criteria.html"


@dataclass
class Editing:
    """The criterion whose row shows a form instead of its state: `mode` "edit" or
    "evidence"."""

    pk: int
    mode: str
    form: object


def _gate(request, pk, number) -> Gate:
    membership = request.membership
    engagement = get_scoped(
        request,
        Engagement.objects.prefetch_related(
            RestrictedPrefetch("phases", membership, Phase.objects.all())
        ),
        pk=pk,
    )
    decisions = GateDecision.objects.select_related("decided_by")
    gate = get_scoped(
        request,
        Gate.objects.prefetch_related(RestrictedPrefetch("decisions", membership, decisions)),
        engagement=engagement,
        number=number,
    )
    gate.engagement = engagement  # with its phases, not a second read
    return gate


def _criterion(request, gate, criterion_id) -> GateCriterion:
    return get_scoped(
        request, GateCriterion.objects.select_related("evidence_by"), pk=criterion_id, gate=gate
    )


def _items(facts) -> list[tuple[str, str, str]]:
    """The checklist items a criterion may name: the guide's, (list, key, title), as the lists
    order them."""
    return [(item.checklist, item.key, item.title) for item in facts.checklist if item.key]


def _context(request, gate, *, editing=None, new_form=None, facts=None):
    """The page: readiness (one fixed set of queries, whatever the number of criteria), the
    criteria split into must- and should-meet, and the forms the member may use."""
    today = timezone.localdate()
    engagement = gate.engagement
    criteria = list(GateCriterion.objects.restrict(request.membership).filter(gate=gate).for_gate())
    facts = facts or facts_for(engagement, today, with_money=False)
    settings = RiskSettings.for_organisation(engagement.organisation_id)
    readiness = gate_readiness(gate, criteria, facts, settings, today)
    read_only = read_only_reason(gate)
    may_edit = request.membership.can("gate.edit") and not read_only
    if may_edit and new_form is None:
        new_form = CriterionForm(items=_items(facts), prefix="new")
    return {
        "engagement": engagement,
        "gate": gate,
        "readiness": readiness,
        "musts": [r for r in readiness.results if r.criterion.kind == CriterionKind.MUST],
        "shoulds": [r for r in readiness.results if r.criterion.kind != CriterionKind.MUST],
        "read_only": read_only,
        "may_edit": may_edit,
        "editing": editing,
        "new_form": new_form if may_edit else None,
        "evidence_check": CriterionCheck.EVIDENCE,
        "today": today,
    }


def _answer(request, gate, *, status=200, **context):
    """The page after a post: htmx gets the body (errors in it, 200), a plain post the page."""
    if status != 200 and request.htmx:
        status = 200
    ctx = _context(request, gate, **context)
    return render_page(request, TEMPLATE, ctx, partial="body", status=status)


def _done(request, gate, text: str, form=None):
    messages.success(request, text)
    for note in getattr(form, "dropped", ()):
        messages.info(request, note)
    if not request.htmx:
        return redirect("engagements:gate_criteria", pk=gate.engagement_id, number=gate.number)
    return _answer(request, gate)


@member_required("gate.view")
def gate_criteria(request, pk, number):
    """The gate's criteria, their evidence and its readiness."""
    gate = _gate(request, pk, number)
    return render_page(request, TEMPLATE, _context(request, gate), partial="body")


@require_POST
@member_required("gate.edit")
def criterion_add(request, pk, number):
    gate = _gate(request, pk, number)
    facts = facts_for(gate.engagement, timezone.localdate(), with_money=False)
    form = CriterionForm(request.POST, items=_items(facts), prefix="new")
    if form.is_valid():
        try:
            criterion = save_criterion(gate, form.cleaned_data)
        except CriterionError as exc:
            if exc.conflict:
                return _conflict(request, gate, exc)
            form.add_error(exc.field, str(exc))
        else:
            return _done(request, gate, f"Criterion “{criterion.title}” added.", form)
    status = invalid_form_status(request)
    return _answer(request, gate, new_form=form, facts=facts, status=status)


def _conflict(request, gate, exc: CriterionError):
    """The gate was decided, or the criterion removed, since the page was loaded: say so on
    the page as it now stands (409; htmx 200)."""
    messages.error(request, str(exc))
    return _answer(request, gate, status=409)


@member_required("gate.edit")
def criterion_edit(request, pk, number, criterion_id):
    """The criterion's form in its row (htmx: the row alone), and its save."""
    gate = _gate(request, pk, number)
    criterion = _criterion(request, gate, criterion_id)
    facts = facts_for(gate.engagement, timezone.localdate(), with_money=False)
    data = request.POST if request.method == "POST" else None
    form = CriterionForm(data, instance=criterion, items=_items(facts), prefix="edit")
    if data is not None and form.is_valid():
        try:
            save_criterion(
                gate, form.cleaned_data, criterion_id=criterion.pk, title=criterion.title
            )
        except CriterionError as exc:
            if exc.conflict:
                return _conflict(request, gate, exc)
            form.add_error(exc.field, str(exc))
        else:
            return _done(request, gate, f"Criterion “{form.cleaned_data['title']}” saved.", form)
    return _row_or_page(request, gate, Editing(criterion.pk, "edit", form), facts, data)


@member_required("gate.edit")
def criterion_evidence(request, pk, number, criterion_id):
    """Give, change or refresh a criterion's evidence (a "refresh" post re-dates what is
    there to today)."""
    gate = _gate(request, pk, number)
    criterion = _criterion(request, gate, criterion_id)
    data = request.POST if request.method == "POST" else None
    form = EvidenceForm(data, request.FILES or None, instance=criterion, prefix="evidence")
    today = timezone.localdate()
    if data is not None and "refresh" in data:
        try:
            give_evidence(gate, criterion.pk, by=request.user, today=today, title=criterion.title)
        except CriterionError as exc:
            return _conflict(request, gate, exc)
        return _done(request, gate, f"Evidence of “{criterion.title}” refreshed: dated today.")
    if data is not None and form.is_valid():
        cleaned = form.cleaned_data
        try:
            give_evidence(
                gate,
                criterion.pk,
                by=request.user,
                today=today,
                note=cleaned["evidence_note"],
                link=cleaned["evidence_link"],
                document=request.FILES.get(form.add_prefix("evidence_document")),
                remove_document=bool(cleaned.get("remove_document")),
                title=criterion.title,
            )
        except CriterionError as exc:
            if exc.conflict:
                return _conflict(request, gate, exc)
            form.add_error(None, str(exc))
        else:
            return _done(request, gate, f"Evidence of “{criterion.title}” saved, dated today.")
    return _row_or_page(request, gate, Editing(criterion.pk, "evidence", form), None, data)


def _row_or_page(request, gate, editing: Editing, facts, data):
    if data is not None:  # a post that did not save
        return _answer(
            request, gate, editing=editing, facts=facts, status=invalid_form_status(request)
        )
    context = _context(request, gate, editing=editing, facts=facts)
    if not context["may_edit"]:
        if request.htmx:
            return message_fragment(request, context["read_only"])
        messages.error(request, context["read_only"])
        return redirect("engagements:gate_criteria", pk=gate.engagement_id, number=gate.number)
    context["result"] = next(
        (r for r in context["readiness"].results if r.criterion.pk == editing.pk), None
    )
    return render_page(request, TEMPLATE, context, partial="row")


@require_POST
@member_required("gate.edit")
def criterion_delete(request, pk, number, criterion_id):
    gate = _gate(request, pk, number)
    criterion = _criterion(request, gate, criterion_id)
    try:
        title = delete_criterion(gate, criterion.pk, title=criterion.title)
    except CriterionError as exc:
        if exc.conflict:
            return _conflict(request, gate, exc)
        messages.error(request, str(exc))
        return _answer(request, gate, status=invalid_form_status(request))
    return _done(request, gate, f"Criterion “{title}” removed.")
