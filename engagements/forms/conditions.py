"""The conditions of a Conditional Go, typed beside the decision: a formset of (what, who,
by when), with an "Add another condition" button that works without JavaScript."""

from __future__ import annotations

from django import forms
from django.forms import formset_factory

from ..gates import ConditionInput
from .delivery import DATE, PersonChoiceField

ADD_CONDITION = "add_condition"
PREFIX = "conditions"
MAX_CONDITIONS = 10


class ConditionForm(forms.Form):
    """One condition; a row left empty is no condition."""

    title = forms.CharField(label="Condition", max_length=300, required=False)
    owner = PersonChoiceField(label="Owner", queryset=None, required=False)
    due_date = forms.DateField(label="Due", widget=DATE, required=False)

    def __init__(self, *args, owners, decided_on=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.decided_on = decided_on
        self.fields["owner"].queryset = owners
        self.fields["owner"].empty_label = "Choose…"
        self.fields["owner"].error_messages["invalid_choice"] = (
            "Choose someone from your organisation: vendor contacts do not own conditions."
        )

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(name) for name in ("title", "owner", "due_date")):
            return cleaned  # an empty row
        if not (cleaned.get("title") or "").strip() and "title" not in self.errors:
            self.add_error("title", "Say what must be done.")
        if not cleaned.get("owner") and "owner" not in self.errors:
            self.add_error("owner", "Choose who owns it.")
        due = cleaned.get("due_date")
        if not due and "due_date" not in self.errors:
            self.add_error("due_date", "Give its due date.")
        elif due and self.decided_on and due <= self.decided_on:
            self.add_error("due_date", "The due date must be after the decision date.")
        return cleaned

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(name) for name in ("title", "owner", "due_date"))


class BaseConditionFormSet(forms.BaseFormSet):
    default_error_messages = {
        "too_many_forms": f"{MAX_CONDITIONS} conditions at most: keep the ones that matter.",
    }

    def inputs(self) -> list[ConditionInput]:
        """The filled-in rows, once valid."""
        return [
            ConditionInput(
                form.cleaned_data["title"].strip(),
                form.cleaned_data["owner"],
                form.cleaned_data["due_date"],
            )
            for form in self.forms
            if form.cleaned_data and not form.is_blank
        ]


ConditionFormSet = formset_factory(
    ConditionForm,
    formset=BaseConditionFormSet,
    extra=1,
    max_num=MAX_CONDITIONS,
    validate_max=True,
)


def condition_formset(data=None, *, owners, decided_on=None) -> BaseConditionFormSet:
    return ConditionFormSet(
        data, prefix=PREFIX, form_kwargs={"owners": owners, "decided_on": decided_on}
    )


def with_another_condition(data):
    """The posted data with one more condition row: the no-JavaScript "Add another
    condition" button."""
    data = data.copy()
    try:
        total = int(data.get(f"{PREFIX}-TOTAL_FORMS", 0))
    except ValueError:
        total = 0
    data[f"{PREFIX}-TOTAL_FORMS"] = str(min(max(total, 0) + 1, MAX_CONDITIONS))
    return data
