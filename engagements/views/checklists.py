"""The handover checklists page: knowledge transfer, IP and data, MLOps readiness, with
progress per list. Owners and admins add, rename and remove items; vendor contacts mark
progress on the items that are not the client's to confirm (`client_confirms`, see
`models/checklists.py`)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.access import check_permission, get_scoped, member_required
from accounts.tenancy import RestrictedPrefetch
from handover.htmx import invalid_form_status, render_page

from ..forms.delivery import (
    DATE,
    EVIDENCE_FIELDS,
    EVIDENCE_WIDGETS,
    EvidenceFormMixin,
    PersonChoiceField,
    assignable_people,
    evidence_link_field,
    past_date_error,
)
from ..models import ChecklistItem, ChecklistList, Engagement, ItemStatus, Phase
from ..models.checklists import checklist_progress, client_confirms
from .milestones import swapped_into

TEMPLATE = "engagements/handover/page.html"


class ItemProgressForm(EvidenceFormMixin, forms.ModelForm):
    """Status, evidence and the date done: what a vendor contact may mark."""

    evidence_link = evidence_link_field()

    class Meta:
        model = ChecklistItem
        fields = ["status", "done_on", *EVIDENCE_FIELDS]
        widgets = {"done_on": DATE, **EVIDENCE_WIDGETS}
        help_texts = {"done_on": "Today when left empty and the item is done."}

    def __init__(self, *args, engagement: Engagement, **kwargs):
        super().__init__(*args, **kwargs)
        self.engagement = engagement

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") != ItemStatus.DONE:
            cleaned["done_on"] = None  # only a done item has a date done
        elif "done_on" in cleaned:
            today = timezone.localdate()
            cleaned["done_on"] = cleaned["done_on"] or today
            error = past_date_error(self.engagement, cleaned["done_on"], today)
            if error:
                self.add_error("done_on", error)
        return cleaned


class ItemForm(ItemProgressForm):
    """The whole item, for owners and admins."""

    class Meta(ItemProgressForm.Meta):
        fields = ["title", "owner", "status", "done_on", "client_confirms", *EVIDENCE_FIELDS]
        field_classes = {"owner": PersonChoiceField}
        error_messages = {"title": {"required": "Give the item a title."}}

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = assignable_people(membership, self.engagement)
        self.fields["owner"].empty_label = "Nobody yet"
        self.fields["owner"].error_messages["invalid_choice"] = (
            "Choose someone from your organisation or this engagement's vendor contacts."
        )
        if self.instance.checklist == ChecklistList.IP_AND_DATA:
            # IP and data items are always the client's to confirm (a DB constraint too).
            self.fields["client_confirms"].disabled = True
            self.fields["client_confirms"].help_text = "IP and data items always are."


class NewItemForm(forms.ModelForm):
    class Meta:
        model = ChecklistItem
        fields = ["checklist", "title", "client_confirms"]
        error_messages = {"title": {"required": "Give the item a title."}}
        help_texts = {
            "client_confirms": "Tick it for what your team does or reviews; IP and data items "
            "always are.",
        }

    def clean(self):
        cleaned = super().clean()
        if client_confirms(cleaned.get("checklist", "")):
            cleaned["client_confirms"] = True
        return cleaned


def _engagement(request, pk):
    membership = request.membership
    queryset = Engagement.objects.prefetch_related(
        RestrictedPrefetch("phases", membership, Phase.objects.all()),
    )
    return get_scoped(request, queryset, pk=pk)


def _page_context(request, engagement, new_form=None):
    items = list(
        ChecklistItem.objects.restrict(request.membership).filter(engagement=engagement).for_list()
    )
    progress = checklist_progress(items)
    lists = [
        {
            "value": value,
            "label": label,
            "items": [item for item in items if item.checklist == value],
            "done": progress[value][0],
            "total": progress[value][1],
        }
        for value, label in ChecklistList.choices
    ]
    may_edit = request.membership.can("checklist.edit")
    if new_form is None and may_edit:
        new_form = NewItemForm()
    return {"engagement": engagement, "lists": lists, "form": new_form if may_edit else None}


@member_required("checklist.view")
def handover_checklists(request, pk):
    """The three lists with their progress; owners and admins add custom items here."""
    engagement = _engagement(request, pk)
    form = None
    if request.method == "POST":
        check_permission(request.membership, "checklist.edit")
        form = NewItemForm(request.POST)
        if form.is_valid():
            item = form.save(commit=False)
            item.engagement = engagement
            last = engagement.checklist_items.filter(checklist=item.checklist).aggregate(
                last=Max("position")
            )["last"]
            item.position = (last or 0) + 1
            item.save()
            where = item.get_checklist_display()
            messages.success(request, f"Item “{item.title}” added to {where}.")
            return redirect("engagements:handover", pk=engagement.pk)
    status = invalid_form_status(request) if form is not None else 200
    return render_page(request, TEMPLATE, _page_context(request, engagement, form), status=status)


@member_required("checklist.update")
def checklist_item(request, pk, item_id):
    """Mark one item's progress (vendor contacts: items that are not the client's to confirm),
    or edit all of it (owners and admins). From the handover page htmx swaps the item back and
    its list's progress; a save from the item's own page returns to the handover page."""
    engagement = _engagement(request, pk)
    item = get_scoped(
        request,
        ChecklistItem.objects.select_related("owner"),
        "update",
        pk=item_id,
        engagement=engagement,
    )
    may_edit = request.membership.can("checklist.edit")
    if not may_edit and not item.vendor_may_update:
        raise PermissionDenied(
            f"“{item.title}” is confirmed by the client's own team, not by the vendor's contacts."
        )
    data = request.POST if request.method == "POST" else None
    files = request.FILES or None
    if may_edit:
        form = ItemForm(
            data, files, instance=item, engagement=engagement, membership=request.membership
        )
    else:
        form = ItemProgressForm(data, files, instance=item, engagement=engagement)
    context = {"engagement": engagement, "item": item, "form": form, "inline": bool(request.htmx)}
    if data is not None and form.is_valid():
        item = form.save()
        messages.success(request, f"“{item.title}” saved.")
        page = reverse("engagements:handover", args=[engagement.pk])
        if not request.htmx:
            return redirect(page)
        if not swapped_into(request, page):
            # Not from the handover page: no row or progress bar here to swap into.
            return HttpResponseClientRedirect(page)
        response = render_page(request, TEMPLATE, context, partial="item")
        # The list's progress moves with the item: an out-of-band swap (one grouped query).
        done, total = (
            ChecklistItem.objects.restrict(request.membership)
            .filter(engagement=engagement)
            .progress()[item.checklist]
        )
        progress = {"value": item.checklist, "label": item.get_checklist_display()}
        progress |= {"done": done, "total": total}
        response.write(
            render_to_string(f"{TEMPLATE}#progress", {"list": progress, "oob": True}, request)
        )
        return response
    status = invalid_form_status(request) if data is not None else 200
    return render_page(
        request, "engagements/handover/item.html", context, partial="form", status=status
    )


@require_POST
@member_required("checklist.edit")
def checklist_item_delete(request, pk, item_id):
    engagement = get_scoped(request, Engagement.objects, pk=pk)
    item = get_scoped(request, ChecklistItem.objects, "edit", pk=item_id, engagement=engagement)
    title = item.title
    item.delete()
    messages.success(request, f"Item “{title}” removed.")
    return redirect("engagements:handover", pk=engagement.pk)
