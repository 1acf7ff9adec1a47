from django.contrib import admin
from django.urls import include, path

from api.site import api_urls
from handover import health

handler403 = "handover.errors.permission_denied"
handler404 = "handover.errors.page_not_found"

urlpatterns = [
    path("health/live", health.live, name="health_live"),
    path("health/ready", health.ready, name="health_ready"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("files/", include("handover.files")),
    path("reports/", include("reports.urls")),
    path("activity/", include("audit.urls")),
    path("api/", api_urls()),
    path("account/tokens/", include("api.urls")),
    path("", include("engagements.urls")),
]
