"""`{{ obj|download_url:"field" }}`: where a member downloads an object's uploaded file."""

from __future__ import annotations

from django import template
from django.urls import reverse

register = template.Library()


@register.filter
def download_url(instance, field: str) -> str:
    if instance is None or not getattr(instance, field, None):
        return ""
    return reverse("files:download", args=[instance._meta.label, instance.pk, field])
