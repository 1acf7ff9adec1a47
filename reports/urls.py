from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/download/", views.job_download, name="download"),
    # Any report kind (registry.py); after "jobs/", which no kind may be called.
    path("<slug:kind>/<int:pk>/", views.report_request, name="request"),
]
