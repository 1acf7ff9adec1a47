from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import get_scoped, member_required
from accounts.models import Membership
from accounts.tenancy import RestrictedPrefetch
from handover.htmx import invalid_form_status, render_page

from .actions import create_engagement, record_decision
from .charts import phase_timeline
from .forms import (
    DecisionForm,
    EngagementEditForm,
    EngagementForm,
    KpiFormSet,
    PhaseFormSet,
    PlanForm,
)
from .gates import GateError
from .health import engagement_health
from .models import Engagement, Kpi
from .planning import NORMS, plan_warnings

PAGE_SIZE = 50


@member_required("engagement.view")
def portfolio(request):
    """Every engagement the member may see, with phase, next gate, health and budget."""
    engagements = Engagement.objects.restrict(request.membership).for_portfolio(request.membership)
    page = Paginator(engagements, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [(engagement, engagement_health(engagement, today)) for engagement in page]
    return render(request, "engagements/portfolio.html", {"page": page, "rows": rows})


@member_required("engagement.edit")
def engagement_create(request):
    engagement = Engagement(organisation=request.organisation, created_by=request.user)
    form = EngagementForm(request.POST or None, instance=engagement)
    plan = PlanForm(request.POST or None)
    kpis = KpiFormSet(request.POST or None, instance=engagement, prefix="kpis")
    if request.method == "POST" and all([form.is_valid(), plan.is_valid(), kpis.is_valid()]):
        create_engagement(form.save(commit=False), kpis.save(commit=False), **plan.cleaned_data)
        messages.success(request, f"Engagement “{engagement.title}” created.")
        return redirect("engagements:detail", pk=engagement.pk)
    context = {"form": form, "plan": plan, "kpis": kpis, "creating": True}
    status = invalid_form_status(request) if request.method == "POST" else 200
    return render(request, "engagements/form.html", context, status=status)


@member_required("engagement.edit")
def engagement_edit(request, pk):
    engagement = get_scoped(request, Engagement.objects, "edit", pk=pk)
    form = EngagementEditForm(request.POST or None, instance=engagement)
    kpis = KpiFormSet(request.POST or None, instance=engagement, prefix="kpis")
    phases = PhaseFormSet(
        request.POST or None, queryset=engagement.phases.order_by("number"), prefix="phases"
    )
    if request.method == "POST" and all([form.is_valid(), kpis.is_valid(), phases.is_valid()]):
        with transaction.atomic():
            form.save()
            kpis.save()
            phases.save()
        messages.success(request, "Engagement saved.")
        return redirect("engagements:detail", pk=engagement.pk)
    context = {
        "form": form,
        "kpis": kpis,
        "phases": phases,
        "engagement": engagement,
        "norms": NORMS,
    }
    status = invalid_form_status(request) if request.method == "POST" else 200
    return render(request, "engagements/form.html", context, status=status)


@member_required("engagement.view")
def engagement_detail(request, pk):
    engagement = _get_engagement_for_page(request, pk)
    return render_page(request, "engagements/detail.html", _detail_context(request, engagement))


@require_POST
@member_required("gate.decide")
def gate_decide(request, pk, number):
    """Record a gate decision; htmx swaps the engagement body in place, plain posts redirect."""
    engagement = get_scoped(request, Engagement.objects, pk=pk)
    gate = get_object_or_404(engagement.gates, number=number)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            decision = record_decision(gate, decided_by=request.user, **form.cleaned_data)
        except GateError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, f"Recorded {decision.get_outcome_display()} at gate {gate.number}."
            )
            if not request.htmx:
                return redirect("engagements:detail", pk=engagement.pk)
            form = None
    engagement = _get_engagement_for_page(request, pk)
    context = _detail_context(request, engagement, decision_form=form)
    status = invalid_form_status(request) if form is not None else 200
    return render_page(request, "engagements/detail.html", context, partial="body", status=status)


def _get_engagement_for_page(request, pk):
    membership = request.membership
    queryset = Engagement.objects.with_plan(membership).prefetch_related(
        RestrictedPrefetch("kpis", membership, Kpi.objects.all()),
        # Colleagues' names are for insiders: restrict() gives vendor contacts none.
        RestrictedPrefetch(
            "vendor_contacts", membership, Membership.objects.select_related("user")
        ),
    )
    return get_scoped(request, queryset, pk=pk)


def _detail_context(request, engagement, decision_form=None):
    today = timezone.localdate()
    phases = engagement.phase_list
    next_gate = engagement.next_gate
    can_decide = request.membership.can("gate.decide")
    if decision_form is None and next_gate and can_decide:
        decision_form = DecisionForm(initial={"decided_on": today})
    return {
        "engagement": engagement,
        "phases": phases,
        "gates": engagement.gate_list,
        "next_gate": next_gate,
        "health": engagement_health(engagement, today),
        "timeline": phase_timeline(phases, today),
        "warnings": plan_warnings(phases),
        "decision_form": decision_form if can_decide else None,
    }
