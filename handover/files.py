"""`files:download`: the one way an uploaded file leaves the server, through the same access
call as the page that links to it."""

from __future__ import annotations

from pathlib import PurePath

from django.apps import apps
from django.http import FileResponse, Http404
from django.urls import path

from accounts.access import get_scoped, member_required
from accounts.tenancy import TenantQuerySet

from .uploads import content_type_for


@member_required("file.download")
def download(request, label: str, pk: int, field: str):
    """Serve `field` of the `label` object `pk` if the member may view that object (its
    model's own `restrict()`), and if the model lists the field in `downloadable`."""
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        raise Http404("No such file.") from None
    if field not in getattr(model, "downloadable", ()) or not isinstance(
        model._default_manager.all(), TenantQuerySet
    ):
        raise Http404("No such file.")
    instance = get_scoped(request, model.objects, pk=pk)
    stored = getattr(instance, field)
    if not stored:
        raise Http404("No file is attached.")
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    name = PurePath(stored.name).name
    return FileResponse(
        handle, as_attachment=True, filename=name, content_type=content_type_for(name)
    )


app_name = "files"
urlpatterns = [
    path("<str:label>/<int:pk>/<str:field>/", download, name="download"),
]
