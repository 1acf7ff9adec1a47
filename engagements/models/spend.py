"""Invoices: what the engagement has cost so far, per phase. Money is internal: no vendor path,
so vendor contacts never reach an invoice, whatever their role."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from accounts.tenancy import Scope, TenantModel, TenantQuerySet
from audit.models import audited
from handover.uploads import DocumentField

from ..planning import DATE_BOUNDS
from .core import Engagement, Phase


class InvoiceQuerySet(TenantQuerySet):
    def for_list(self):
        return self.select_related("phase", "recorded_by").order_by("-date", "-id")


class Invoice(TenantModel):
    """One vendor invoice, in the engagement's currency, booked against one of its phases."""

    # Internal: no vendor path. Vendors send invoices by their usual channel; an insider
    # (owner, admin, procurement) records them here, so no vendor page ever shows a total.
    scope = Scope("spend", organisation="engagement__organisation", vendor=None)

    # The engagement is stored as well as the phase so the database can hold references
    # unique per engagement; `clean`/the form keep it equal to the phase's.
    engagement = models.ForeignKey(Engagement, on_delete=models.CASCADE, related_name="invoices")
    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="invoices")
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(0.01)]
    )
    date = models.DateField("invoice date", validators=DATE_BOUNDS)
    reference = models.CharField("invoice reference", max_length=100)
    document = DocumentField("invoice document", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    downloadable = ("document",)

    objects = InvoiceQuerySet.as_manager()
    history = audited(context="engagement")

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_amount_positive"),
            # "INV-1" and "inv-1" are one reference, as the form already says.
            models.UniqueConstraint(
                "engagement",
                Lower("reference"),
                name="invoice_reference_unique_per_engagement",
            ),
        ]

    def __str__(self) -> str:
        return self.reference
