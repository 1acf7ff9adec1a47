from django.urls import path

from . import activity, assignments, views

app_name = "engagements"
urlpatterns = [
    path("", views.portfolio, name="portfolio"),
    path("engagements/new/", views.engagement_create, name="create"),
    path("engagements/<int:pk>/", views.engagement_detail, name="detail"),
    path("engagements/<int:pk>/edit/", views.engagement_edit, name="edit"),
    path(
        "engagements/<int:pk>/vendor-contacts/",
        assignments.vendor_contacts,
        name="vendor_contacts",
    ),
    path("engagements/<int:pk>/gates/<int:number>/decide/", views.gate_decide, name="decide"),
    path("engagements/<int:pk>/activity/", activity.engagement_activity, name="activity"),
]
