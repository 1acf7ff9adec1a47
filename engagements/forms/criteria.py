"""Forms of the gate criteria page: a criterion (how it is met, must or should, its weight)
and its evidence (note, link, document)."""

from __future__ import annotations

from django import forms

from ..criteria_actions import CRITERION_FIELDS
from ..enums import CriterionCheck
from ..models import GateCriterion
from ..models.gate_reviews import MAX_WEIGHT
from .delivery import EVIDENCE_FIELDS, EVIDENCE_WIDGETS, EvidenceFormMixin, evidence_link_field

WEIGHT_ERROR = f"A weight is a whole number from 1 to {MAX_WEIGHT}: how much the criterion counts."
# The thresholds each check accepts: (lowest, highest, what it means).
THRESHOLDS = {
    CriterionCheck.DATA_READINESS: (0, 100, "Data readiness is a percentage: 0–100."),
    CriterionCheck.CHANGE_REQUESTS: (1, 365, "Give the days a request may stay open: 1–365."),
}


class CriterionForm(forms.ModelForm):
    """A criterion as an owner or admin adds or edits it. `items` are the engagement's guide
    checklist items, (key, title), the ones a checklist criterion may name."""

    weight = forms.IntegerField(
        initial=1,
        help_text=f"1–{MAX_WEIGHT}: how much a should-meet criterion counts in the score.",
        error_messages={"required": WEIGHT_ERROR, "invalid": WEIGHT_ERROR},
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_WEIGHT}),
    )
    threshold = forms.IntegerField(
        required=False,
        help_text="Data readiness: the lowest acceptable %; change requests: the days one may "
        "stay open. Empty: the organisation's setting.",
        error_messages={"invalid": "Enter a whole number."},
    )
    checklist_keys = forms.MultipleChoiceField(
        label="Checklist items",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The items that must be done; none ticked: the whole list chosen above.",
        error_messages={
            "invalid_choice": "“%(value)s” is not an item of this engagement's checklists."
        },
    )

    class Meta:
        model = GateCriterion
        fields = CRITERION_FIELDS
        error_messages = {"title": {"required": "Give the criterion a title."}}
        labels = {"kind": "Must-meet or should-meet"}

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checklist_keys"].choices = list(items)
        self.fields["checklist"].help_text = "For a checklist criterion: the list to complete."

    def clean_weight(self):
        weight = self.cleaned_data.get("weight")
        if weight is None or not 1 <= weight <= MAX_WEIGHT:
            raise forms.ValidationError(WEIGHT_ERROR)
        return weight

    def clean(self):
        cleaned = super().clean()
        met_by = cleaned.get("met_by")
        threshold = cleaned.get("threshold")
        if met_by in THRESHOLDS and threshold is not None:
            low, high, message = THRESHOLDS[met_by]
            if not low <= threshold <= high:
                self.add_error("threshold", message)
        elif met_by not in THRESHOLDS:
            cleaned["threshold"] = None  # only those two checks take one
        if met_by == CriterionCheck.CHECKLIST:
            if not cleaned.get("checklist") and not cleaned.get("checklist_keys"):
                self.add_error("checklist", "Choose the checklist, or tick the items to be done.")
        else:
            cleaned["checklist"], cleaned["checklist_keys"] = "", []
        if met_by != CriterionCheck.KPI_MET:
            cleaned["accept_vendor_data"] = False
        return cleaned


class EvidenceForm(EvidenceFormMixin, forms.ModelForm):
    """A criterion's evidence: a note, a link or a document. Saving dates it today."""

    evidence_link = evidence_link_field()

    class Meta:
        model = GateCriterion
        fields = EVIDENCE_FIELDS
        widgets = EVIDENCE_WIDGETS

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        keeps_document = bool(self.current_document) and not cleaned.get("remove_document")
        given = (
            cleaned.get("evidence_note", "").strip()
            or cleaned.get("evidence_link")
            or self.files.get(self.add_prefix("evidence_document"))
            or keeps_document
        )
        if not given:
            raise forms.ValidationError("Give the evidence: a note, a link or a document.")
        return cleaned
