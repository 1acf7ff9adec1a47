"""The weekly report form: the report, its metrics and its experiments (formsets with an "add
another" button that works without JavaScript). The forms check types and lengths; the rules
(weeks, scales, duplicates) are `weekly_reports.report_errors`, shared with the API."""

from __future__ import annotations

import re

from django import forms
from django.forms import formset_factory

from handover.uploads import validate_document

from ..models import DataHolder, ExperimentOutcome, ReportStatus, WeeklyReport
from ..models.weekly import MAX_EXPERIMENTS, MAX_METRICS, week_label
from ..weekly_reports import ExperimentInput, MetricInput, ReportInput, ReportRefused
from .core import FigureField, without_errors

WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)
ADD_METRIC, ADD_EXPERIMENT = "add_metric", "add_experiment"


class WeekField(forms.CharField):
    """An ISO week typed as 2026-W47 (what a browser's week picker sends) → (2026, 47)."""

    widget = forms.TextInput(attrs={"type": "week", "placeholder": "2026-W47"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        match = WEEK.match(value)
        if not match:
            raise forms.ValidationError("Give the week as year and ISO week, such as 2026-W47.")
        return int(match[1]), int(match[2])

    def prepare_value(self, value):
        if isinstance(value, tuple):
            return week_label(*value)
        return value


def _model_field(name: str, **overrides):
    return WeeklyReport._meta.get_field(name).formfield(**overrides)


class WeeklyReportForm(forms.Form):
    def __init__(self, *args, amending: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not amending:
            self.fields["week"] = WeekField(
                label="Week", help_text="The ISO week this report covers, such as 2026-W47."
            )
        self.fields["status"] = forms.ChoiceField(
            choices=ReportStatus.choices, widget=forms.RadioSelect, initial=ReportStatus.ON_SCHEDULE
        )
        self.fields["status_reason"] = _model_field(
            "status_reason", widget=forms.Textarea(attrs={"rows": 2})
        )
        self.fields["summary"] = _model_field(
            "summary",
            widget=forms.Textarea(attrs={"rows": 4}),
            error_messages={"required": "Write a short summary of the week."},
        )
        self.fields["data_quality_score"] = FigureField(
            label="Data-quality score (0–100)",
            required=False,
            help_text="The share of records passing your data validation, from 0 to 100.",
            error_messages={"invalid": "The score must be a number from 0 to 100, such as 97.5."},
        )
        self.fields["hours"] = FigureField(
            label="Hours logged",
            required=False,
            error_messages={"invalid": "Hours must be a number, such as 37.5."},
        )
        self.fields["blockers"] = _model_field("blockers", widget=forms.Textarea(attrs={"rows": 2}))
        self.fields["decisions"] = _model_field(
            "decisions", widget=forms.Textarea(attrs={"rows": 2})
        )
        self.fields["attachment"] = _model_field("attachment", label="Attachment (optional)")
        # A plain Form does not run the model field's validators: the upload rules, here.
        self.fields["attachment"].validators.append(validate_document)
        if amending:
            self.fields["attachment"].help_text += " Leave empty to keep the current one."
            self.fields["amendment_note"] = _model_field(
                "amendment_note",
                required=True,
                widget=forms.Textarea(attrs={"rows": 2}),
                error_messages={"required": "Say what this amendment corrects."},
            )


METRIC_NAMES_LIST = "metric-names"  # the <datalist> of the KPIs' and reported metrics' names


class MetricForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        # Suggests the technical KPIs' names and those reported before: a metric charts against
        # a KPI's target only under the KPI's own name ("F1" beside "Intent classifier F1"
        # would start a second chart with no target).
        widget=forms.TextInput(attrs={"list": METRIC_NAMES_LIST, "autocomplete": "off"}),
        help_text="Use the KPI's name to chart it against its target (suggested as you type); "
        "any other metric under its own name: precision, p95 latency…",
    )
    value = FigureField(
        max_digits=16,
        decimal_places=4,
        error_messages={"invalid": "The value must be a number, such as 0.87."},
    )
    dataset_name = forms.CharField(label="Evaluation data set", max_length=200)
    dataset_version = forms.CharField(label="Data set version", max_length=50)
    held_by = forms.ChoiceField(
        label="Data held by", choices=DataHolder.choices, initial=DataHolder.CLIENT
    )


class ExperimentForm(forms.Form):
    hypothesis = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    result = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    outcome = forms.ChoiceField(choices=ExperimentOutcome.choices, initial=ExperimentOutcome.KEPT)


class RowFormSet(forms.BaseFormSet):
    """Rows people fill in. Every row is optional: a blank row is skipped, so clearing a row
    removes it (on an amendment too, whose rows start filled in)."""

    def initial_form_count(self):
        return 0

    def total_form_count(self):
        if self.is_bound:
            return super().total_form_count()
        return min(len(self.initial or ()) + self.extra, self.max_num)

    def filled(self) -> list[tuple[int, dict]]:
        return [(i, form.cleaned_data) for i, form in enumerate(self.forms) if form.cleaned_data]


MetricFormSet = formset_factory(
    MetricForm, formset=RowFormSet, extra=1, max_num=MAX_METRICS, validate_max=True
)
ExperimentFormSet = formset_factory(
    ExperimentForm, formset=RowFormSet, extra=1, max_num=MAX_EXPERIMENTS, validate_max=True
)


def with_another_row(data, prefix: str, max_num: int):
    """The posted data with one more row in the `prefix` formset: the no-JavaScript "Add
    another" button."""
    data = data.copy()
    try:
        total = max(int(data.get(f"{prefix}-TOTAL_FORMS", 0)), 0)
    except ValueError:
        total = 0
    data[f"{prefix}-TOTAL_FORMS"] = str(min(total + 1, max_num))
    return data


class ReportForms:
    """The report form and its two formsets, bound or not, as one thing to validate, turn
    into a `ReportInput`, and show the shared rules' errors on."""

    def __init__(self, data=None, files=None, *, amending=False, initial: ReportInput = None):
        self.adding = None
        if data is not None and ADD_METRIC in data:
            data, self.adding = with_another_row(data, "metrics", MAX_METRICS), "metrics"
        elif data is not None and ADD_EXPERIMENT in data:
            data = with_another_row(data, "experiments", MAX_EXPERIMENTS)
            self.adding = "experiments"
        report_initial = metric_initial = experiment_initial = None
        # Posted rows are compared with blank rows, never with the version being amended:
        # an unchanged metric must count as filled in, not as an untouched extra row.
        if initial is not None and data is None:
            report_initial = {
                name: getattr(initial, name)
                for name in (
                    "status",
                    "status_reason",
                    "summary",
                    "hours",
                    "data_quality_score",
                    "blockers",
                    "decisions",
                )
            }
            metric_initial = [vars(m) for m in initial.metrics]
            experiment_initial = [vars(e) for e in initial.experiments]
        self.report = WeeklyReportForm(data, files, amending=amending, initial=report_initial)
        self.metrics = MetricFormSet(data, prefix="metrics", initial=metric_initial)
        self.experiments = ExperimentFormSet(data, prefix="experiments", initial=experiment_initial)
        self.amending = amending

    def __iter__(self):
        return iter((self.report, self.metrics, self.experiments))

    def is_valid(self) -> bool:
        return all([self.report.is_valid(), self.metrics.is_valid(), self.experiments.is_valid()])

    def to_input(self, year: int | None = None, week: int | None = None) -> ReportInput:
        data = self.report.cleaned_data
        if year is None:
            year, week = data["week"]
        self._metric_rows = [i for i, _ in self.metrics.filled()]
        self._experiment_rows = [i for i, _ in self.experiments.filled()]
        return ReportInput(
            year=year,
            week=week,
            summary=data["summary"],
            status=data["status"],
            status_reason=data["status_reason"],
            hours=data["hours"],
            data_quality_score=data["data_quality_score"],
            blockers=data["blockers"],
            decisions=data["decisions"],
            metrics=[MetricInput(**row) for _, row in self.metrics.filled()],
            experiments=[ExperimentInput(**row) for _, row in self.experiments.filled()],
            amendment_note=data.get("amendment_note", ""),
            attachment=data.get("attachment") or None,
        )

    def show(self, refused: ReportRefused) -> None:
        """Put each refusal where it belongs: beside its field, its row, or on top."""
        if refused.conflict:
            self.report.add_error(None, refused.conflict)
        for loc, message in refused.errors:
            head = loc[0]
            if head in ("metrics", "experiments"):
                formset = getattr(self, head)
                rows = self._metric_rows if head == "metrics" else self._experiment_rows
                if len(loc) == 3:
                    form = formset.forms[rows[loc[1]]]
                    form.add_error(loc[2] if loc[2] in form.fields else None, message)
                else:
                    formset.non_form_errors().append(message)
            elif head in self.report.fields:
                self.report.add_error(head, message)
            else:
                self.report.add_error(None, message)

    def focus_new_row(self) -> None:
        formset = getattr(self, self.adding or "", None)
        if formset is not None and formset.forms:
            first = next(iter(formset.forms[-1].fields.values()))
            first.widget.attrs["autofocus"] = True

    def without_errors(self) -> ReportForms:
        """After "Add another": show what was typed, unjudged, with the cursor in the new row."""
        without_errors(self.report, self.metrics, self.experiments)
        self.focus_new_row()
        return self
