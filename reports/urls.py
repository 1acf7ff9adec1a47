from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("gates/<int:gate_pk>/board-summary/", views.request_board_summary, name="board_summary"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/download/", views.job_download, name="download"),
]
