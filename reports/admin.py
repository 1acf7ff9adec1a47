"""Report jobs in the Django admin (staff support: a stuck or failed job)."""

from django.contrib import admin

from .models import ReportJob


@admin.register(ReportJob)
class ReportJobAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "kind", "version", "status", "attempts", "created_at"]
    list_filter = ["status", "kind", "organisation"]
    search_fields = ["title", "organisation__name"]
    list_select_related = ["organisation"]
    readonly_fields = ["content_type", "object_id", "requested_by", "created_at"]
