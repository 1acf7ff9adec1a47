from django.urls import include, path

handler403 = "handover.errors.permission_denied"
handler404 = "handover.errors.page_not_found"

urlpatterns = [
    path("accounts/", include("accounts.urls")),
    path("reports/", include("reports.urls")),
    path("", include("engagements.urls")),
]
