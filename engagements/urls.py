from django.urls import path

from .views import (
    activity,
    assignments,
    change_requests,
    checklists,
    conditions,
    criteria,
    decision_log,
    milestones,
    portfolio,
    risk_settings,
    spend,
    votes,
    weekly,
)
from .views import engagement as views

app_name = "engagements"
urlpatterns = [
    path("", portfolio.portfolio, name="portfolio"),
    path("engagements/new/", views.engagement_create, name="create"),
    path("settings/risks/", risk_settings.risk_settings, name="risk_settings"),
    path("engagements/<int:pk>/", views.engagement_detail, name="detail"),
    path("engagements/<int:pk>/edit/", views.engagement_edit, name="edit"),
    path(
        "engagements/<int:pk>/vendor-contacts/",
        assignments.vendor_contacts,
        name="vendor_contacts",
    ),
    path("engagements/<int:pk>/gates/<int:number>/decide/", views.gate_decide, name="decide"),
    # Gatekeepers and their votes (issue 8)
    path(
        "engagements/<int:pk>/gates/<int:number>/gatekeepers/",
        votes.gatekeepers,
        name="gatekeepers",
    ),
    path("engagements/<int:pk>/gates/<int:number>/vote/", votes.gate_vote, name="vote"),
    # Conditions of a Conditional Go (issue 8)
    path("engagements/<int:pk>/conditions/", conditions.conditions, name="conditions"),
    path("conditions/<int:condition_id>/done/", conditions.condition_done, name="condition_done"),
    path("engagements/<int:pk>/activity/", activity.engagement_activity, name="activity"),
    # Gate criteria and their evidence (issue 8, criteria)
    path(
        "engagements/<int:pk>/gates/<int:number>/criteria/",
        criteria.gate_criteria,
        name="gate_criteria",
    ),
    path(
        "engagements/<int:pk>/gates/<int:number>/criteria/add/",
        criteria.criterion_add,
        name="criterion_add",
    ),
    path(
        "engagements/<int:pk>/gates/<int:number>/criteria/<int:criterion_id>/",
        criteria.criterion_edit,
        name="criterion_edit",
    ),
    path(
        "engagements/<int:pk>/gates/<int:number>/criteria/<int:criterion_id>/evidence/",
        criteria.criterion_evidence,
        name="criterion_evidence",
    ),
    path(
        "engagements/<int:pk>/gates/<int:number>/criteria/<int:criterion_id>/delete/",
        criteria.criterion_delete,
        name="criterion_delete",
    ),
    # Milestones, handover checklists and the decision log (engineer A, issue 7)
    path("engagements/<int:pk>/milestones/", milestones.milestones, name="milestones"),
    path(
        "engagements/<int:pk>/milestones/<int:milestone_id>/",
        milestones.milestone_edit,
        name="milestone_edit",
    ),
    path(
        "engagements/<int:pk>/milestones/<int:milestone_id>/delete/",
        milestones.milestone_delete,
        name="milestone_delete",
    ),
    path("engagements/<int:pk>/handover/", checklists.handover_checklists, name="handover"),
    path(
        "engagements/<int:pk>/handover/<int:item_id>/",
        checklists.checklist_item,
        name="checklist_item",
    ),
    path(
        "engagements/<int:pk>/handover/<int:item_id>/delete/",
        checklists.checklist_item_delete,
        name="checklist_item_delete",
    ),
    path(
        "engagements/<int:pk>/decision-log/",
        decision_log.decision_log,
        name="decision_log",
    ),
    path(
        "engagements/<int:pk>/decision-log/<int:entry_id>/",
        decision_log.decision_log_edit,
        name="decision_log_edit",
    ),
    # Weekly status reports (engineer B, issue 7)
    path("engagements/<int:pk>/weekly-reports/", weekly.report_list, name="weekly_reports"),
    path(
        "engagements/<int:pk>/weekly-reports/new/",
        weekly.report_new,
        name="weekly_report_new",
    ),
    path(
        "engagements/<int:pk>/weekly-reports/<int:report_pk>/",
        weekly.report_detail,
        name="weekly_report",
    ),
    path(
        "engagements/<int:pk>/weekly-reports/<int:report_pk>/amend/",
        weekly.report_amend,
        name="weekly_report_amend",
    ),
    # Spend and change requests (engineer C, issue 7)
    path("engagements/<int:pk>/invoices/", spend.invoices, name="invoices"),
    path("engagements/<int:pk>/invoices/add/", spend.invoice_add, name="invoice_add"),
    path("invoices/<int:pk>/delete/", spend.invoice_delete, name="invoice_delete"),
    path(
        "engagements/<int:pk>/change-requests/",
        change_requests.change_requests,
        name="change_requests",
    ),
    path(
        "engagements/<int:pk>/change-requests/new/",
        change_requests.change_request_propose,
        name="change_request_propose",
    ),
    path(
        "change-requests/<int:pk>/decide/",
        change_requests.change_request_decide,
        name="change_request_decide",
    ),
    path(
        "change-requests/<int:pk>/withdraw/",
        change_requests.change_request_withdraw,
        name="change_request_withdraw",
    ),
]
