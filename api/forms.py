from __future__ import annotations

from django import forms

from .models import ApiToken


class TokenForm(forms.ModelForm):
    # One use per form shown: reloading the page that showed a new token's secret re-posts
    # the form, and must not make a second token.
    once = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ApiToken
        fields = ["name"]
        help_texts = {"name": "What the token is for, e.g. “Vendor metrics pipeline”."}

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the token a name.")
        return name
