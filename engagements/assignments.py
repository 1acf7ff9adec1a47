"""Which vendor contacts work on an engagement: the only engagements they ever see."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render

from accounts.access import get_scoped, member_required
from accounts.models import Membership
from accounts.roles import Role
from handover.htmx import invalid_form_status

from .models import Engagement


def contact_label(membership: Membership) -> str:
    """A vendor contact as the assigning admin needs to tell them apart: name and e-mail."""
    user = membership.user
    name = user.get_full_name()
    return f"{name} ({user.email})" if name else user.email


class ContactChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, membership: Membership) -> str:
        return contact_label(membership)


class VendorContactsForm(forms.Form):
    contacts = ContactChoiceField(
        queryset=Membership.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Vendor contacts on this engagement",
        help_text="They see this engagement — its plan, KPIs and gate outcomes, never the budget "
        "or deliberations — and nothing else. Invite vendor contacts from the members page.",
        error_messages={
            "invalid_choice": "One of those people is no longer a vendor contact here; "
            "reload the page.",
        },
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contacts"].queryset = candidates


def vendor_candidates(membership):
    """The organisation's vendor contacts, as the current member may see them."""
    return (
        Membership.objects.restrict(membership)
        .filter(role=Role.VENDOR)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__email")
    )


@member_required("engagement.assign")
def vendor_contacts(request, pk):
    """Assign vendor contacts to the engagement (plain form; saving replaces the set)."""
    engagement = get_scoped(request, Engagement.objects, "assign", pk=pk)
    candidates = vendor_candidates(request.membership)
    form = VendorContactsForm(
        # An empty post is a real answer here: nobody ticked, nobody assigned.
        request.POST if request.method == "POST" else None,
        candidates=candidates,
        initial={"contacts": engagement.vendor_contacts.all()},
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            # The engagement row is the lock: two admins saving at once apply one after the
            # other, each writing only the assignment it owns.
            locked = Engagement.objects.select_for_update().only("pk").get(pk=engagement.pk)
            locked.vendor_contacts.set(form.cleaned_data["contacts"])
        names = ", ".join(contact_label(m) for m in form.cleaned_data["contacts"])
        messages.success(
            request, f"Vendor contacts saved: {names}." if names else "No vendor contacts now."
        )
        return redirect("engagements:detail", pk=engagement.pk)
    status = invalid_form_status(request) if request.method == "POST" else 200
    context = {"engagement": engagement, "form": form, "has_candidates": candidates.exists()}
    return render(request, "engagements/vendor_contacts.html", context, status=status)
