"""Which vendor contacts work on an engagement: the only engagements they ever see."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render

from accounts.access import get_scoped, member_required
from accounts.models import Membership, Organisation
from accounts.roles import Role
from handover.htmx import invalid_form_status

from ..models import Engagement


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
        "or deliberations — and nothing else. Org admins invite vendor contacts from the "
        "members page.",
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


def _assign(engagement: Engagement, form: VendorContactsForm) -> bool:
    """Write the chosen set, or say why not: the choice is checked again under the
    organisation's lock, the one role changes and removals take, so nobody made Procurement
    or removed a moment ago is assigned."""
    chosen = {m.pk for m in form.cleaned_data["contacts"]}
    with transaction.atomic():
        Organisation.objects.select_for_update().filter(pk=engagement.organisation_id).first()
        still_vendors = Membership.objects.filter(
            pk__in=chosen, organisation_id=engagement.organisation_id, role=Role.VENDOR
        )
        if len(still_vendors) != len(chosen):
            form.add_error("contacts", form.fields["contacts"].error_messages["invalid_choice"])
            return False
        locked = Engagement.objects.select_for_update().only("pk").get(pk=engagement.pk)
        locked.vendor_contacts.set(still_vendors)
    return True


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
    if request.method == "POST" and form.is_valid() and _assign(engagement, form):
        names = ", ".join(contact_label(m) for m in form.cleaned_data["contacts"])
        messages.success(
            request, f"Vendor contacts saved: {names}." if names else "No vendor contacts now."
        )
        return redirect("engagements:detail", pk=engagement.pk)
    status = invalid_form_status(request) if request.method == "POST" else 200
    context = {"engagement": engagement, "form": form, "has_candidates": candidates.exists()}
    return render(request, "engagements/vendor_contacts.html", context, status=status)
