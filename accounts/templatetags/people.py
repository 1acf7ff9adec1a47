"""`{{ user|person }}`: people are shown by name, not by e-mail address."""

from __future__ import annotations

from django import template

register = template.Library()

NOBODY = "a former member"


@register.filter
def person(user) -> str:
    """The user's full name, else their e-mail (else their username); for a user who is
    gone (a SET_NULL foreign key), "a former member"."""
    if user is None:
        return NOBODY
    name = user.get_full_name().strip()
    return name or user.email or user.get_username()
