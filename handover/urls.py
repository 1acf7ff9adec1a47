from django.urls import include, path

urlpatterns = [
    path("accounts/", include("accounts.urls")),
    path("reports/", include("reports.urls")),
    path("", include("engagements.urls")),
]
