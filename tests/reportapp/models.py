"""A test-only model with an uploaded document, reached through an engagement: what the upload
infrastructure (handover/uploads.py, files:download) is tested on, with no change to it."""

from django.db import models

from accounts.tenancy import Scope, TenantModel, TenantQuerySet
from handover.uploads import DocumentField


class Attachment(TenantModel):
    scope = Scope(
        "engagement",
        organisation="engagement__organisation",
        vendor="engagement__vendor_contacts",
    )
    engagement = models.ForeignKey(
        "engagements.Engagement", on_delete=models.CASCADE, related_name="+"
    )
    document = DocumentField(blank=True)
    downloadable = ("document",)

    objects = TenantQuerySet.as_manager()
