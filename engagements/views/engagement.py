from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import get_scoped, member_required
from accounts.models import Membership
from accounts.roles import Role
from accounts.tenancy import RestrictedPrefetch
from handover.htmx import invalid_form_status, render_page

from ..actions import create_engagement, record_decision, reschedule, start_due_engagements
from ..baselines import baseline_panel
from ..charts import phase_timeline
from ..forms import (
    ADD_KPI,
    DecisionForm,
    EngagementEditForm,
    EngagementForm,
    KpiFormSet,
    PhaseFormSet,
    PlanForm,
    focus_last_kpi,
    with_another_kpi,
    without_errors,
)
from ..forms.conditions import ADD_CONDITION, with_another_condition
from ..gates import GateError, gate_closed_reason, phase_order_error
from ..health import engagement_health
from ..models import Engagement, Kpi
from ..models.milestones import move_milestones
from ..planning import LATEST, NORMS, PLAN_FIELDS, handover_note, kpi_warnings
from .gate_card import (
    attach_conditions,
    conditions_form,
    conditions_prefetch,
    is_conditional_go,
    page_evidence,
)


@member_required("engagement.edit")
def engagement_create(request):
    engagement = Engagement(organisation=request.organisation, created_by=request.user)
    adding_kpi = ADD_KPI in request.POST
    data = with_another_kpi(request.POST) if adding_kpi else (request.POST or None)
    form = EngagementForm(data, instance=engagement)
    plan = PlanForm(data)
    kpis = KpiFormSet(data, instance=engagement, prefix="kpis")
    if adding_kpi:
        without_errors(form, plan, kpis)
        focus_last_kpi(kpis)
        context = {"form": form, "plan": plan, "kpis": kpis, "creating": True}
        return render(request, "engagements/form.html", context)
    valid = request.method == "POST" and all([form.is_valid(), plan.is_valid(), kpis.is_valid()])
    if valid and plan.check_dates(form.cleaned_data["start_date"]):
        create_engagement(form.save(commit=False), kpis.save(commit=False), **plan.cleaned_data)
        messages.success(request, f"Engagement “{engagement.title}” created.")
        # Which handover norm the default plan kept, when 4–8 weeks and 15–20% clash.
        lengths = plan.cleaned_data
        note = handover_note(lengths["poc_weeks"] + lengths["development_weeks"])
        if note:
            messages.info(request, note)
        return redirect("engagements:detail", pk=engagement.pk)
    context = {"form": form, "plan": plan, "kpis": kpis, "creating": True}
    status = invalid_form_status(request) if request.method == "POST" else 200
    return render(request, "engagements/form.html", context, status=status)


@member_required("engagement.edit")
def engagement_edit(request, pk):
    """Edit the engagement, its KPIs and the plan of the phases that have not started."""
    if request.method != "POST" or ADD_KPI in request.POST:
        engagement = get_scoped(request, Engagement.objects, "edit", pk=pk)
        if ADD_KPI in request.POST:
            form, kpis, phases = _edit_forms(engagement, with_another_kpi(request.POST))
            without_errors(form, kpis, phases)
            focus_last_kpi(kpis)
        else:
            form, kpis, phases = _edit_forms(engagement, None)
    else:
        with transaction.atomic():
            # Lock and re-read: a decision recorded while the form was open is what the post
            # is checked against, and only what the form owns is written back.
            locked = Engagement.objects.select_for_update()
            engagement = get_scoped(request, locked, "edit", pk=pk)
            form, kpis, phases = _edit_forms(engagement, request.POST)
            if all([form.is_valid(), kpis.is_valid(), phases.is_valid()]) and _save_edit(
                form, kpis, phases
            ):
                messages.success(request, "Engagement saved.")
                return redirect("engagements:detail", pk=engagement.pk)
    context = {
        "form": form,
        "kpis": kpis,
        "phases": phases,
        "engagement": engagement,
        "norms": NORMS,
    }
    failed = request.method == "POST" and ADD_KPI not in request.POST
    status = invalid_form_status(request) if failed else 200
    return render(request, "engagements/form.html", context, status=status)


def _edit_forms(engagement, data):
    form = EngagementEditForm(data, instance=engagement)
    kpis = KpiFormSet(data, instance=engagement, prefix="kpis")
    phases = engagement.phases.order_by("number")
    if data is not None and ADD_KPI not in data:
        phases = phases.select_for_update()
    return form, kpis, PhaseFormSet(data, queryset=phases, prefix="phases")


def _save_edit(form, kpis, phases) -> bool:
    """Write the valid edit, fields the forms own only; False (with the reason on the form)
    when moving the start date would push the plan past the last date we accept, or out of
    order. Moving the start date moves the phases whose dates were not typed in this post;
    dates that were typed are kept as typed."""
    engagement = form.instance
    old_start = form.initial.get("start_date")
    starts_before = {f.instance.pk: f.initial.get("planned_start") for f in phases.forms}
    form.save(commit=False)
    phases.save(commit=False)
    plan = [phase_form.instance for phase_form in phases.forms]
    if "start_date" in form.changed_data:
        engagement.start_date = old_start
        typed = {"planned_start", "planned_end"}
        untouched = [f.instance for f in phases.forms if not typed & set(f.changed_data)]
        reschedule(engagement, untouched, form.cleaned_data["start_date"])
        poc = next(phase for phase in plan if phase.number == 1)
        poc.planned_start = engagement.start_date  # the PoC starts on the start date
        error = phase_order_error((p.number, p.planned_start, p.planned_end) for p in plan)
        if error or poc.planned_end <= poc.planned_start:
            form.add_error(
                "start_date",
                error or "Discovery & PoC would end before it starts: move its end too.",
            )
            return False
    if max(phase.planned_end for phase in plan) > LATEST:
        form.add_error("start_date", "That start date pushes the plan past 2100.")
        return False
    engagement.save(update_fields=form.owned_fields)
    kpis.save()
    for phase_form, phase in zip(phases.forms, plan, strict=True):
        if phase_form.has_changed() or "start_date" in form.changed_data:
            phase.save(update_fields=PLAN_FIELDS)
    move_milestones(engagement, starts_before, plan)  # they go with their phase's start
    return True


@member_required("engagement.view")
def engagement_detail(request, pk):
    start_due_engagements(timezone.localdate(), request.organisation.pk)
    engagement = _get_engagement_for_page(request, pk)
    return render_page(request, "engagements/detail.html", _detail_context(request, engagement))


@require_POST
@member_required("gate.decide")
def gate_decide(request, pk, number):
    """Record a gate decision on the evidence as it stands (readiness, votes), with the
    conditions of a Conditional Go; htmx swaps the engagement body in place, plain posts
    redirect. "Add another condition" (no JavaScript needed) redisplays the form."""
    today = timezone.localdate()
    engagement = _get_engagement_for_page(request, pk)
    gate = next((g for g in engagement.gate_list if g.number == number), None)
    if gate is None:
        raise Http404("No such gate.")
    evidence = page_evidence(request, engagement, today)
    live = gate == engagement.next_gate
    form = DecisionForm(
        request.POST,
        readiness=evidence.readiness if live else None,
        tally=evidence.tally if live else None,
    )
    if ADD_CONDITION in request.POST:
        conditions = conditions_form(request, engagement, with_another_condition(request.POST))
        without_errors(form, conditions)
        context = _detail_context(request, engagement, form, conditions, evidence)
        return render_page(request, "engagements/detail.html", context, partial="body")
    posted_conditions = "conditions-TOTAL_FORMS" in request.POST
    conditions = conditions_form(
        request,
        engagement,
        request.POST if posted_conditions else None,
        decided_on=_posted_date(form),
    )
    conditional = is_conditional_go(request.POST)
    stale = False  # decided (Hold, Recycle) since the page was shown
    if form.is_valid() and (not conditional or not posted_conditions or conditions.is_valid()):
        inputs = conditions.inputs() if conditional and posted_conditions else []
        try:
            decision = record_decision(
                gate, decided_by=request.user, conditions=inputs, **form.cleaned_data
            )
        except GateError as exc:
            stale = exc.field == "round"
            field = exc.field if exc.field in form.fields and not stale else None
            if exc.field == "conditions":
                conditions._non_form_errors = conditions.error_class([str(exc)])
            else:
                form.add_error(field, str(exc))
        else:
            messages.success(
                request, f"Recorded {decision.get_outcome_display()} at gate {gate.number}."
            )
            if not request.htmx:
                return redirect("engagements:detail", pk=engagement.pk)
            form = conditions = None
    engagement = _get_engagement_for_page(request, pk)
    evidence = page_evidence(request, engagement, today)
    status, rejection = 200, None
    moved_on = engagement.next_gate_number != gate.number or evidence.blocked
    if form is not None and (moved_on or stale):
        # A stale tab (the gate was decided, or moved on, since the page was shown), or a gate
        # an open condition keeps closed: the gate it posted for is not one to decide now. Say
        # so in that gate's card, and never move the posted outcome into another gate's form.
        rejection = Rejection(gate.number, _stale_reason(engagement, gate.number, form))
        form = conditions = None
        status = 409
    elif form is not None:
        status = 422
    context = _detail_context(request, engagement, form, conditions, evidence)
    context["rejection"] = rejection
    if request.htmx:
        status = 200  # htmx swaps only 2xx: the reason is in the fragment
    return render_page(request, "engagements/detail.html", context, partial="body", status=status)


@dataclass(frozen=True)
class Rejection:
    gate: int
    message: str


def _posted_date(form):
    """The decision date as posted, if it parses: condition due dates must come after it."""
    field = form.fields["decided_on"]
    try:
        return field.clean(form.data.get("decided_on"))
    except ValidationError:
        return None


def _stale_reason(engagement, number: int, form) -> str:
    gate = next(g for g in engagement.gate_list if g.number == number)
    reason = gate_closed_reason(
        engagement,
        number,
        engagement.phase_list,
        gate.decision_list,
        [c for c in engagement.gate_conditions.all() if c.is_open],
    )
    return reason or " ".join(form.non_field_errors()) or f"Gate {number} is not open."


def _get_engagement_for_page(request, pk):
    membership = request.membership
    queryset = Engagement.objects.with_plan(membership).prefetch_related(
        RestrictedPrefetch("kpis", membership, Kpi.objects.all()),
        # Colleagues' names are for insiders: restrict() gives vendor contacts none.
        RestrictedPrefetch(
            "vendor_contacts", membership, Membership.objects.select_related("user")
        ),
        conditions_prefetch(membership),
    )
    return get_scoped(request, queryset, pk=pk)


def _detail_context(request, engagement, decision_form=None, conditions=None, evidence=None):
    today = timezone.localdate()
    membership = request.membership
    phases = engagement.phase_list
    next_gate = engagement.next_gate
    evidence = evidence or page_evidence(request, engagement, today)
    can_decide = membership.can("gate.decide") and not evidence.blocked
    if decision_form is None and next_gate and can_decide:
        decision_form = DecisionForm(
            initial={"decided_on": today, "expected_round": len(next_gate.decision_list)},
            readiness=evidence.readiness,
            tally=evidence.tally,
        )
    if conditions is None and decision_form is not None:
        conditions = conditions_form(request, engagement)
    health = engagement_health(
        engagement, evidence.facts, evidence.settings, today, with_money=evidence.with_money
    )
    attach_conditions(engagement, today)
    deciders = []
    if next_gate and not membership.can("gate.decide"):
        # "Awaiting the decision of …": the owners, by name, to those who may see colleagues.
        deciders = list(
            Membership.objects.restrict(membership).filter(role=Role.OWNER).select_related("user")
        )
    return {
        "engagement": engagement,
        "phases": phases,
        "gates": engagement.gate_list,
        "next_gate": next_gate,
        "health": health,
        "timeline": phase_timeline(phases, today),
        "warnings": health.warnings + kpi_warnings(engagement.kpis.all()),
        "decision_form": decision_form if can_decide else None,
        "conditions_form": conditions if can_decide else None,
        "readiness": evidence.readiness,
        "tally": evidence.tally,
        "blocked": evidence.blocked,
        # The plan a Go approved is the company's deliberation: never a vendor contact's.
        "baseline": (
            baseline_panel(engagement, evidence.facts, with_money=evidence.with_money)
            if membership.can("gate.view")
            else None
        ),
        "deciders": deciders,
        "today": today,
    }
