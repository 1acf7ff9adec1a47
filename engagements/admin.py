"""Engagements in the Django admin (staff support). Gate decisions are a record: read-only."""

from django.contrib import admin

from .models import Engagement, GateDecision, Kpi, Phase


class PhaseInline(admin.TabularInline):
    model = Phase
    extra = 0
    can_delete = False
    max_num = 3


class KpiInline(admin.TabularInline):
    model = Kpi
    extra = 0


@admin.register(Engagement)
class EngagementAdmin(admin.ModelAdmin):
    list_display = ["title", "organisation", "vendor_name", "status", "start_date"]
    list_filter = ["status", "organisation"]
    search_fields = ["title", "vendor_name", "organisation__name"]
    list_select_related = ["organisation"]
    raw_id_fields = ["created_by"]
    filter_horizontal = ["vendor_contacts"]
    inlines = [PhaseInline, KpiInline]


@admin.register(GateDecision)
class GateDecisionAdmin(admin.ModelAdmin):
    """Decisions are never edited or deleted, by anyone."""

    list_display = ["gate", "engagement", "outcome", "decided_by", "decided_on", "recorded_at"]
    list_filter = ["outcome"]
    search_fields = ["gate__engagement__title", "rationale"]
    list_select_related = ["gate__engagement", "decided_by"]

    @admin.display(description="engagement")
    def engagement(self, decision):
        return decision.gate.engagement

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
