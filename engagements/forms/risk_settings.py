"""The organisation's risk-radar thresholds, as admins set them."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from ..models.radar import THRESHOLDS, RiskSettings


class RiskSettingsForm(forms.ModelForm):
    """Every threshold, each with its range in its help text (from the model) and refused
    outside it, here and by the database's check constraints. Each field carries the value
    the page showed (`show_hidden_initial`), so `changed_data` is what this admin changed,
    whatever another admin saved since."""

    class Meta:
        model = RiskSettings
        fields = list(THRESHOLDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, (_, low, high) in THRESHOLDS.items():
            field = self.fields[name]
            message = f"Enter a whole number from {low} to {high}."
            field.min_value, field.max_value = low, high
            field.show_hidden_initial = True
            field.validators = [MinValueValidator(low, message), MaxValueValidator(high, message)]
            field.widget.attrs.update({"min": low, "max": high})
            field.error_messages["required"] = message
            field.error_messages["invalid"] = message

    def shown(self, name: str):
        """The value the page showed for `name` (None when the post did not say)."""
        try:
            return self.fields[name].to_python(self.data.get(self.add_initial_prefix(name)))
        except forms.ValidationError:
            return None
