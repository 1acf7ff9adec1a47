from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.organisation_activity, name="organisation"),
]
