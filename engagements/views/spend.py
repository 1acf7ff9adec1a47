"""Invoices (spend): the list with per-phase totals and the money figures, the add form
(multipart), and delete. Internal pages: `spend.*` permissions are for insiders only, and the
`Invoice` scope has no vendor path."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.access import get_scoped, member_required
from accounts.tenancy import RestrictedPrefetch
from handover.htmx import invalid_form_status

from ..forms import DATE, MoneyField
from ..models import ChangeRequest, Engagement, Invoice, Phase, PhaseStatus
from ..money import FORECAST_HELP, money_summary
from ..templatetags.spend import may_see_money

PAGE_SIZE = 50
UNSTARTED = (PhaseStatus.PLANNED, PhaseStatus.CANCELLED)


class InvoiceForm(forms.ModelForm):
    class Meta:
        model = Invoice
        fields = ["phase", "amount", "date", "reference", "document"]
        widgets = {"date": DATE}
        field_classes = {"amount": MoneyField}
        error_messages = {
            "amount": {"required": "Enter the invoice's amount."},
            "reference": {"required": "Enter the vendor's invoice reference."},
            "date": {"required": "Enter the invoice date."},
        }

    def __init__(self, *args, engagement: Engagement, phases: list[Phase], today, **kwargs):
        super().__init__(*args, **kwargs)
        self.engagement, self.today = engagement, today
        self.instance.engagement = engagement
        phase_field = self.fields["phase"]
        phase_field.queryset = Phase.objects.filter(pk__in=[p.pk for p in phases])
        phase_field.label_from_instance = lambda phase: f"{phase.number}. {phase.name}"
        phase_field.empty_label = None
        phase_field.error_messages["invalid_choice"] = (
            "That phase is not one of this engagement's; reload the page."
        )
        started = [p for p in phases if p.status not in UNSTARTED]
        if started and not self.is_bound:
            self.initial.setdefault("phase", started[-1].pk)
        self.fields["amount"].label = f"Amount ({engagement.currency})"
        self.fields[
            "amount"
        ].help_text = (
            f"In the engagement's currency ({engagement.get_currency_display()}), tax included."
        )
        self.fields["document"].required = True
        self.fields["document"].error_messages["required"] = "Attach the invoice document."

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise forms.ValidationError("An invoice's amount must be more than zero.")
        return amount

    def clean_phase(self):
        phase = self.cleaned_data["phase"]
        if phase.status in UNSTARTED:
            raise forms.ValidationError(
                f"{phase.name} has not started: book invoices against a phase that has."
            )
        return phase

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day > self.today:
            raise forms.ValidationError("The invoice date is in the future: enter the date on it.")
        if day < self.engagement.start_date:
            raise forms.ValidationError(
                f"The invoice date is before the engagement started "
                f"({self.engagement.start_date:%-d %b %Y})."
            )
        return day

    def clean_reference(self):
        reference = self.cleaned_data["reference"].strip()
        if not reference:
            raise forms.ValidationError("Enter the vendor's invoice reference.")
        if reference_taken(self.engagement, reference):
            raise forms.ValidationError(
                f"Invoice {reference} is already recorded for this engagement."
            )
        return reference


def reference_taken(engagement: Engagement, reference: str) -> bool:
    return Invoice.objects.filter(engagement=engagement, reference__iexact=reference).exists()


def _engagement(request, pk, action: str = "view"):
    queryset = Engagement.objects.prefetch_related(
        RestrictedPrefetch("phases", request.membership, Phase.objects.all())
    )
    return get_scoped(request, queryset, action, pk=pk)


@member_required("spend.view")
def invoices(request, pk):
    """The engagement's invoices, newest first, with totals per phase and the money figures."""
    engagement = _engagement(request, pk)
    return _invoices_page(request, engagement)


def _invoices_page(request, engagement, form=None, status=200):
    membership, today = request.membership, timezone.localdate()
    phases = engagement.phase_list
    rows = Invoice.objects.restrict(membership).filter(engagement=engagement).for_list()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    totals = dict(
        Invoice.objects.restrict(membership)
        .filter(engagement=engagement)
        .order_by()
        .values("phase_id")
        .annotate(total=Sum("amount"))
        .values_list("phase_id", "total")
    )
    changes = list(ChangeRequest.objects.restrict(membership).filter(engagement=engagement))
    if form is None and membership.can("spend.edit"):
        form = InvoiceForm(engagement=engagement, phases=phases, today=today)
    context = {
        "engagement": engagement,
        "page": page,
        "phase_totals": [(phase, totals.get(phase.pk, Decimal(0))) for phase in phases],
        "figures": money_summary(
            engagement, phases, totals, changes, with_money=may_see_money(membership), today=today
        ),
        "form": form,
        "forecast_help": FORECAST_HELP,
    }
    return render(request, "engagements/spend/invoices.html", context, status=status)


@require_POST
@member_required("spend.edit")
def invoice_add(request, pk):
    """Book an invoice against a phase (multipart: the document is attached)."""
    engagement = _engagement(request, pk)
    form = InvoiceForm(
        request.POST,
        request.FILES,
        engagement=engagement,
        phases=engagement.phase_list,
        today=timezone.localdate(),
    )
    if form.is_valid():
        try:
            with transaction.atomic():
                # Two people booking the same reference at once: the second is told, not
                # given a 500 (the unique constraint decides).
                form.instance.recorded_by = request.user
                invoice = form.save()
        except IntegrityError:
            form.add_error(
                "reference",
                f"Invoice {form.cleaned_data['reference']} was recorded a moment ago by "
                "someone else.",
            )
        else:
            messages.success(request, f"Invoice {invoice.reference} recorded.")
            return redirect("engagements:invoices", pk=engagement.pk)
    return _invoices_page(request, engagement, form, status=invalid_form_status(request))


@require_POST
@member_required("spend.delete")
def invoice_delete(request, pk):
    """Remove a wrongly booked invoice; the audit trail keeps what it was."""
    invoice = get_scoped(request, Invoice.objects.select_related("engagement"), "delete", pk=pk)
    engagement_pk, reference = invoice.engagement_id, invoice.reference
    with transaction.atomic():
        invoice._history_user = request.user
        # Its document leaves storage once this commits (handover.uploads); the audit trail
        # keeps the record.
        invoice.delete()
    messages.success(request, f"Invoice {reference} deleted.")
    return redirect("engagements:invoices", pk=engagement_pk)
