"""The gate decision form: the outcome and its record, with the override and vote reasons the
gate's evidence asks for (the conditions of a Conditional Go are `conditions.py`'s)."""

from __future__ import annotations

from django import forms

from ..gates import decision_field_errors, evidence_errors, overridden_musts
from ..models import GateDecision, Outcome
from .core import DATE


class DecisionForm(forms.ModelForm):
    """A gate decision. Given the gate's `readiness` (criteria.Readiness) and `tally`
    (votes.Tally), it says when an override or a vote reason is needed and checks for it;
    `record_decision` checks again under its locks, on the evidence as it then stands."""

    outcome = forms.ChoiceField(
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose Go, Conditional Go, No-Go, Hold or Recycle."},
    )
    # How many decisions the gate had when the page was shown: a Hold or Recycle recorded
    # since makes this post stale (`gates.round_changed_reason`).
    expected_round = forms.IntegerField(
        required=False, min_value=0, max_value=1000, widget=forms.HiddenInput
    )

    class Meta:
        model = GateDecision
        fields = [
            "outcome",
            "decided_on",
            "rationale",
            "attendees",
            "new_end_date",
            "override_reason",
            "vote_reason",
        ]
        widgets = {
            "decided_on": DATE,
            "new_end_date": DATE,
            "rationale": forms.Textarea(attrs={"rows": 3}),
            "attendees": forms.Textarea(attrs={"rows": 2}),
            "override_reason": forms.Textarea(attrs={"rows": 2}),
            "vote_reason": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {
            "new_end_date": "New end date of the phase",
            "override_reason": "Override reason (Go despite unmet must-meet criteria)",
            "vote_reason": "Why decide against the gatekeepers' votes",
        }
        help_texts = {
            "new_end_date": "Recycle repeats the phase until this date.",
            "override_reason": "Needed only for Go or Conditional Go while a must-meet "
            "criterion is unmet; recorded and printed with the decision.",
            "vote_reason": "Needed only when the decision goes against the gatekeepers' rule: "
            "Go or Conditional Go before their votes pass it, No-Go once they have.",
        }
        error_messages = {
            "rationale": {"required": "Say why: the rationale is part of the record."},
        }

    def __init__(self, *args, readiness=None, tally=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.readiness, self.tally = readiness, tally
        unmet = overridden_musts(Outcome.GO, readiness)
        if unmet:
            self.fields["override_reason"].help_text = (
                "Needed for Go or Conditional Go: unmet must-meet "
                + ", ".join(f"“{title}”" for title in unmet)
                + ". Recorded and printed with the decision."
            )
        elif readiness is not None:
            self.fields[
                "override_reason"
            ].help_text = "Every must-meet criterion is met: no override needed."
        if getattr(tally, "gatekeepers", None):
            # As `gates.against_votes` judges: Go-type outcomes need the votes to pass.
            if tally.passes:
                needs = f"The votes approve ({tally.summary}): No-Go needs a reason."
            elif tally.passes is False:
                needs = f"The votes do not approve ({tally.summary}): Go needs a reason."
            else:
                needs = f"The votes have not approved yet ({tally.summary}): Go needs a reason."
            self.fields["vote_reason"].help_text = needs

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("outcome") != Outcome.RECYCLE:
            # The field shows only for Recycle; a date left in it after switching outcome is
            # not part of this decision.
            cleaned["new_end_date"] = None
        errors = decision_field_errors(
            cleaned.get("outcome"), cleaned.get("decided_on"), cleaned.get("new_end_date")
        )
        for field, message in errors.items():
            self.add_error(field, message)
        outcome = cleaned.get("outcome")
        if outcome:
            errors = evidence_errors(
                outcome,
                self.readiness,
                self.tally,
                cleaned.get("override_reason") or "",
                cleaned.get("vote_reason") or "",
            )
            for field, message in errors.items():
                self.add_error(field, message)
        return cleaned
