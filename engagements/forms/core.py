from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import forms
from django.forms import (
    BaseInlineFormSet,
    BaseModelFormSet,
    inlineformset_factory,
    modelformset_factory,
)
from django.forms.utils import ErrorDict

from ..gates import (
    phase_order_error,
)
from ..models import Engagement, EngagementStatus, Kpi, Phase, PhaseStatus
from ..planning import (
    BALANCED_BUILD_WEEKS,
    DEFAULT_DEVELOPMENT_WEEKS,
    DEFAULT_POC_WEEKS,
    HANDOVER_SHARE,
    HANDOVER_WEEKS,
    LATEST,
    POC_WEEKS,
    default_plan,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MoneyField(forms.DecimalField):
    """A sum of money as people type and read it: "250,000" (separators, a currency sign and
    spaces are accepted), shown with thousands separators."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().lstrip("$€£").replace(",", "").replace(" ", "")
        return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return f"{value:,.0f}" if value == value.to_integral() else f"{value:,.2f}"
        return value

    def widget_attrs(self, widget):
        # No number-input attributes (step, min): the text widget takes "250,000".
        return {}


class EngagementForm(forms.ModelForm):
    class Meta:
        model = Engagement
        fields = [
            "title",
            "business_problem",
            "outsourcing_reason",
            "vendor_name",
            "budget",
            "currency",
            "start_date",
            "data_readiness",
        ]
        widgets = {
            "business_problem": forms.Textarea(attrs={"rows": 3}),
            "outsourcing_reason": forms.Textarea(attrs={"rows": 2}),
            "start_date": DATE,
        }
        help_texts = {"budget": "Total budget for all three phases."}
        field_classes = {"budget": MoneyField}
        error_messages = {
            "title": {"required": "Give the engagement a title."},
            "budget": {"min_value": "The budget cannot be negative."},
            "data_readiness": {
                "min_value": "Data readiness is a percentage: 0–100.",
                "max_value": "Data readiness is a percentage: 0–100.",
            },
        }


class PlanForm(forms.Form):
    """Only when creating: the phase lengths the default plan starts from."""

    def check_dates(self, start: date) -> bool:
        """Refuse a plan whose derived dates would run past the last date we accept, which
        would make every later edit of the engagement fail."""
        data = self.cleaned_data
        end = default_plan(start, data["poc_weeks"], data["development_weeks"])[-1].planned_end
        if end > LATEST:
            self.add_error(
                None,
                f"This plan would end on {end:%-d %b %Y}, after 31 Dec 2100: start earlier "
                "or plan shorter phases.",
            )
        return end <= LATEST

    poc_weeks = forms.IntegerField(
        label="Discovery & PoC (weeks)",
        initial=DEFAULT_POC_WEEKS,
        min_value=1,
        max_value=52,
        help_text=f"The guide expects {POC_WEEKS[0]}–{POC_WEEKS[1]} weeks, billed time & "
        "materials.",
    )
    development_weeks = forms.IntegerField(
        label="Development & Iteration (weeks)",
        initial=DEFAULT_DEVELOPMENT_WEEKS,
        min_value=1,
        max_value=156,
        help_text=(
            f"Handover is then {HANDOVER_WEEKS[0]}–{HANDOVER_WEEKS[1]} weeks, sized to "
            f"{HANDOVER_SHARE[0]:.0%}–{HANDOVER_SHARE[1]:.0%} of the total when PoC and "
            f"development together last {BALANCED_BUILD_WEEKS[0]}–{BALANCED_BUILD_WEEKS[1]} "
            f"weeks. Outside that both cannot hold: the plan keeps {HANDOVER_WEEKS[0]}–"
            f"{HANDOVER_WEEKS[1]} weeks and warns about the share."
        ),
    )


class FigureField(forms.DecimalField):
    """A KPI figure shown as typed: 0.85 and 1200, not 0.8500 and 1200.0000."""

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return format(value.normalize(), "f")
        return value


class KpiForm(forms.ModelForm):
    class Meta:
        model = Kpi
        fields = ["kind", "name", "unit", "baseline", "target", "higher_is_better"]
        field_classes = {"baseline": FigureField, "target": FigureField}
        error_messages = {
            "target": {"invalid": "The target must be a number, such as 0.85 or 1200."},
            "baseline": {"invalid": "The baseline must be a number, or left empty."},
        }


class BaseKpiFormSet(BaseInlineFormSet):
    default_error_messages = {
        "too_few_forms": "Add at least one KPI: the business metric this engagement must move.",
        "too_many_forms": "Twenty KPIs at most: keep the ones the board will steer by.",
    }

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "id" in form.fields:
            # The hidden id no longer matches: someone deleted that KPI meanwhile.
            form.fields["id"].error_messages["invalid_choice"] = (
                "This KPI was deleted by someone else while you were editing; reload the page."
            )


KpiFormSet = inlineformset_factory(
    Engagement,
    Kpi,
    form=KpiForm,
    formset=BaseKpiFormSet,
    extra=1,
    min_num=1,
    validate_min=True,
    max_num=20,
    validate_max=True,
    can_delete=True,
    can_delete_extra=False,  # nothing to delete on a row not saved yet
)

ADD_KPI = "add_kpi"


def with_another_kpi(data):
    """The posted data with one more KPI row: the no-JavaScript "Add another KPI" button."""
    data = data.copy()
    try:
        total = int(data.get("kpis-TOTAL_FORMS", 0))
    except ValueError:
        total = 0
    data["kpis-TOTAL_FORMS"] = str(min(max(total, 0) + 1, KpiFormSet.max_num))
    # The new row starts as the blank ones do: most metrics should rise.
    data.setdefault(f"kpis-{max(total, 0)}-higher_is_better", "on")
    return data


def focus_last_kpi(kpis) -> None:
    """Put the cursor in the row "Add another KPI" just added."""
    if kpis.forms:
        kpis.forms[-1].fields["name"].widget.attrs["autofocus"] = True


def without_errors(*forms_and_formsets):
    """Show what was typed without judging it yet, as after "Add another KPI"."""
    for item in forms_and_formsets:
        if hasattr(item, "forms"):
            item._errors, item._non_form_errors = [], item.error_class()
            without_errors(*item.forms)
        else:
            item._errors, item.cleaned_data = ErrorDict(), {}


class EngagementEditForm(EngagementForm):
    """Once the engagement has started, its start date is history: phase 1 started on it.
    Until then it can move, and the plan moves with it (`actions.reschedule`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.status != EngagementStatus.PLANNED:
            del self.fields["start_date"]
        else:
            self.fields[
                "start_date"
            ].help_text = "Not started yet: moving the start date moves the whole plan."

    @property
    def owned_fields(self) -> list[str]:
        """What saving this form may write: its own fields, nothing it did not show."""
        return [*self.fields, "updated_at"]


class PhaseForm(forms.ModelForm):
    """A phase's billing model and planned dates, as the CTO adjusts the plan.

    Only phases that have not started can be re-dated: moving the active phase's end is a
    Recycle, recorded at its gate. A finished phase cannot change at all.
    """

    class Meta:
        model = Phase
        fields = ["billing_model", "planned_start", "planned_end"]
        widgets = {"planned_start": DATE, "planned_end": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        status = self.instance.status
        if status != PhaseStatus.PLANNED:
            for name in ("planned_start", "planned_end"):
                self.fields[name].disabled = True
                self.fields[name].help_text = (
                    "Started: change its end with Recycle at the gate."
                    if status == PhaseStatus.ACTIVE
                    else ""
                )
        if status in (PhaseStatus.DONE, PhaseStatus.STOPPED):
            self.fields["billing_model"].disabled = True
        if self.instance.number == 1 and status == PhaseStatus.PLANNED:
            # The PoC starts on the engagement's start date: move that, and the plan follows.
            self.fields["planned_start"].disabled = True
            self.fields["planned_start"].help_text = "The engagement's start date."

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("planned_start"), cleaned.get("planned_end")
        if start and end and end <= start:
            self.add_error("planned_end", "The end date must be after the start date.")
        return cleaned


class BasePhaseFormSet(BaseModelFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if any(form.instance.pk is None for form in self.forms):
            # An id that is not one of this engagement's phases (a stale or forged form).
            raise forms.ValidationError(
                "These phases do not match the engagement; reload the page."
            )
        error = phase_order_error(
            (
                form.instance.number,
                form.cleaned_data["planned_start"],
                form.cleaned_data["planned_end"],
            )
            for form in self.forms
            if form.cleaned_data
        )
        if error:
            raise forms.ValidationError(error)


# All three phases are always posted together, so the order check sees the whole plan.
PhaseFormSet = modelformset_factory(
    Phase,
    form=PhaseForm,
    formset=BasePhaseFormSet,
    extra=0,
    edit_only=True,
    min_num=3,
    validate_min=True,
    max_num=3,
    validate_max=True,
)
