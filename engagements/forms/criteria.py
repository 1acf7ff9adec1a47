"""Forms of the gate criteria page: a criterion (how it is met, must or should, its weight)
and its evidence (note, link, document)."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.utils.html import format_html, format_html_join

from ..criteria_actions import CRITERION_FIELDS
from ..enums import CriterionCheck
from ..models import GateCriterion
from ..models.checklists import ChecklistList
from ..models.gate_reviews import MAX_WEIGHT
from .delivery import EVIDENCE_FIELDS, EVIDENCE_WIDGETS, EvidenceFormMixin, evidence_link_field

WEIGHT_ERROR = f"A weight is a whole number from 1 to {MAX_WEIGHT}: how much the criterion counts."
# The thresholds each check accepts: (lowest, highest, what it means).
THRESHOLDS = {
    CriterionCheck.DATA_READINESS: (0, 100, "Data readiness is a percentage: 0–100."),
    CriterionCheck.CHANGE_REQUESTS: (1, 365, "Give the days a request may stay open: 1–365."),
}


THRESHOLD_DROPPED = (
    "The threshold {value} was dropped: only data-readiness and change-request checks take one."
)


def list_label(checklist: str) -> str:
    return ChecklistList(checklist).label if checklist in ChecklistList.values else checklist


class GroupedCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes in one fieldset per group (a checklist), its name as the legend, so the list
    an item belongs to is seen and announced; each box is labelled by its item's title."""

    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)["widget"]
        groups = []
        for group, options, _ in context["optgroups"]:
            boxes = format_html_join(
                "",
                '<div><label for="{0}"><input type="checkbox" name="{1}" value="{2}" id="{0}"'
                "{3}> {4}</label></div>",
                (
                    (
                        o["attrs"]["id"],
                        o["name"],
                        o["value"],
                        " checked" if o["selected"] else "",
                        o["label"],
                    )
                    for o in options
                ),
            )
            groups.append(
                format_html(
                    '<fieldset class="checklist-group"><legend>{}</legend>{}</fieldset>',
                    group or "Items",
                    boxes,
                )
            )
        return format_html(
            '<div id="{}">{}</div>',
            context["attrs"].get("id", ""),
            format_html_join("", "{}", ((group,) for group in groups)),
        )


class CriterionForm(forms.ModelForm):
    """A criterion as an owner or admin adds or edits it. `items` are the engagement's guide
    checklist items, (checklist, key, title), the ones a checklist criterion may name: shown
    grouped by their list, and only the chosen list's may be ticked. `dropped` says what was
    cleared rather than refused (a threshold on a check that takes none), for the page to
    tell."""

    weight = forms.IntegerField(
        initial=1,
        help_text=f"1–{MAX_WEIGHT}: how much a should-meet criterion counts in the score.",
        error_messages={"required": WEIGHT_ERROR, "invalid": WEIGHT_ERROR},
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_WEIGHT}),
    )
    threshold = forms.IntegerField(
        required=False,
        min_value=0,
        help_text="Data readiness: the lowest acceptable %; change requests: the days one may "
        "stay open. Empty: the organisation's setting. Other checks take none.",
        error_messages={
            "invalid": "Enter a whole number.",
            "min_value": "A threshold is not negative: enter 0 or more, or leave it empty.",
        },
        widget=forms.NumberInput(attrs={"min": 0}),
    )
    checklist_keys = forms.MultipleChoiceField(
        label="Checklist items",
        required=False,
        widget=GroupedCheckboxes,
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

    def __init__(self, *args, items: Iterable[tuple[str, str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        groups: dict[str, list[tuple[str, str]]] = {}
        self.item_lists: dict[str, str] = {}
        self.item_titles: dict[str, str] = {}
        for checklist, key, title in items:
            groups.setdefault(checklist, []).append((key, title))
            self.item_lists[key], self.item_titles[key] = checklist, title
        order = {value: index for index, value in enumerate(ChecklistList.values)}
        self.fields["checklist_keys"].choices = [
            (list_label(checklist), groups[checklist])
            for checklist in sorted(groups, key=lambda c: order.get(c, len(order)))
        ]
        self.fields["checklist"].help_text = "For a checklist criterion: the list to complete."
        self.dropped: list[str] = []

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
            if threshold is not None and met_by:
                self.dropped.append(THRESHOLD_DROPPED.format(value=threshold))
            cleaned["threshold"] = None  # only those two checks take one
        if met_by == CriterionCheck.CHECKLIST:
            checklist, keys = cleaned.get("checklist"), cleaned.get("checklist_keys") or []
            if not checklist and not keys:
                self.add_error("checklist", "Choose the checklist, or tick the items to be done.")
            stray = [key for key in keys if checklist and self.item_lists.get(key) != checklist]
            if stray:
                titles = "; ".join(f"“{self.item_titles.get(key, key)}”" for key in stray)
                it, its = ("it", "its") if len(stray) == 1 else ("them", "their")
                self.add_error(
                    "checklist_keys",
                    f"Not on the {list_label(checklist)} checklist: {titles}. Untick {it}, or "
                    f"choose {its} list.",
                )
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
