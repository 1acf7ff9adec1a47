"""The organisation's risk-radar thresholds: insiders read them, admins set them. Saving
refreshes the stored health of every engagement of the organisation (after commit)."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect

from accounts.access import check_permission, member_required
from accounts.models import Organisation
from handover.htmx import invalid_form_status, render_page

from ..forms.risk_settings import RiskSettingsForm
from ..models.radar import THRESHOLDS, RiskSettings


@member_required("risk_settings.view")
def risk_settings(request):
    organisation = request.organisation
    current = _current(request)
    can_edit = request.membership.can("risk_settings.edit")
    status = 200
    if request.method == "POST":
        check_permission(request.membership, "risk_settings.edit")
        form = RiskSettingsForm(request.POST, instance=current)
        if form.is_valid():
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            changed, meanwhile = save_risk_settings(organisation, changes, shown=form.shown)
            if changed:
                messages.success(
                    request,
                    f"Risk thresholds saved ({', '.join(changed)}); every engagement's health "
                    "is recomputed with them.",
                )
            else:
                messages.info(request, "Nothing changed: the thresholds are as they were.")
            if meanwhile:
                # A stale tab: what someone else saved since the page was shown is kept.
                messages.info(
                    request,
                    f"Meanwhile another admin changed {', '.join(meanwhile)}: kept as they set it.",
                )
            return redirect("engagements:risk_settings")
        status = invalid_form_status(request)
    else:
        form = RiskSettingsForm(instance=current)
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    context = {"form": form, "settings": current, "can_edit": can_edit}
    return render_page(
        request, "engagements/risk_settings.html", context, partial="body", status=status
    )


def _current(request) -> RiskSettings:
    return RiskSettings.objects.restrict(request.membership).filter(
        organisation=request.organisation
    ).first() or RiskSettings.defaults(request.organisation)


@transaction.atomic
def save_risk_settings(
    organisation: Organisation, changes: dict, shown=None
) -> tuple[list[str], list[str]]:
    """Write the thresholds this admin changed (`changes`), and only those, under a lock on
    the organisation's row: two admins saving at once never both create the row, and neither
    undoes the other's fields. Returns the labels of the fields written, and of those another
    admin changed since the page was shown (`shown(name)`: the value it showed), which are
    kept. The receiver on RiskSettings refreshes the organisation's stored health once this
    commits."""
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    row = RiskSettings.objects.filter(organisation=organisation).first()
    adding = row is None
    if adding:
        row = RiskSettings.defaults(organisation)
    written = [name for name in changes if getattr(row, name) != changes[name]]
    meanwhile = [
        name
        for name in THRESHOLDS
        if shown is not None
        and name not in changes
        and shown(name) is not None
        and shown(name) != getattr(row, name)
    ]
    for name in written:
        setattr(row, name, changes[name])
    if adding and written:
        row.full_clean()
        row.save()
    elif written:
        row.full_clean(exclude=[n for n in THRESHOLDS if n not in written] + ["organisation"])
        row.save(update_fields=[*written, "updated_at"])
    return _labels(written), _labels(meanwhile)


def _labels(names: list[str]) -> list[str]:
    return [str(RiskSettings._meta.get_field(name).verbose_name) for name in names]
