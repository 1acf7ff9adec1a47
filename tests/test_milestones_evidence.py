"""Milestone evidence documents: refused when disguised or oversize, served through the access
check, linked by name on the edit form and removable."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from engagements.models import Milestone

from .test_milestones import _add_url, _edit_url, _payload


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("evidence.pdf", b"MZ\x90\x00 an executable", "is not a PDF file"),
        ("tool.exe", b"MZ\x90\x00", "is not a file we accept"),
    ],
)
def test_disguised_uploads_are_refused(
    client_for, owner, engagement, settings, tmp_path, name, content, message
):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile(name, content)
    data = _payload(engagement) | {"evidence_document": upload}
    response = client_for(owner).post(_add_url(engagement), data)
    assert response.status_code == 422 and message in response.content.decode()
    assert not Milestone.objects.exists() and not list(tmp_path.rglob("*.*"))


def test_an_oversize_upload_is_refused(client_for, owner, engagement, settings, tmp_path):
    settings.MEDIA_ROOT, settings.MAX_UPLOAD_MB = tmp_path, 1
    upload = SimpleUploadedFile("big.pdf", b"%PDF-1.7" + b"0" * (1024 * 1024 + 10))
    data = _payload(engagement) | {"evidence_document": upload}
    response = client_for(owner).post(_add_url(engagement), data)
    assert response.status_code == 422 and "files may be 1 MB at most" in response.content.decode()
    assert not Milestone.objects.exists()


def test_evidence_document_is_downloaded_through_the_access_check(
    client_for, owner, engagement, settings, tmp_path, org
):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("staging.pdf", b"%PDF-1.7 deployed")
    client = client_for(owner)
    client.post(_add_url(engagement), _payload(engagement) | {"evidence_document": upload})
    milestone = Milestone.objects.get()
    assert milestone.evidence_document.name.startswith(f"uploads/{org.pk}/milestone/")
    page = client.get(_add_url(engagement)).content.decode()
    url = reverse(
        "files:download", args=["engagements.Milestone", milestone.pk, "evidence_document"]
    )
    assert url in page
    assert b"".join(client.get(url).streaming_content) == b"%PDF-1.7 deployed"


def test_the_edit_form_links_the_current_document_by_name_and_removes_it(
    client_for, owner, engagement, settings, tmp_path, django_capture_on_commit_callbacks
):
    """Not Django's "Currently: uploads/…" linking to /media/ (a 404): the file's name, linked
    through the access-checked download, and an explicit way to remove it."""
    settings.MEDIA_ROOT = tmp_path
    client = client_for(owner)
    upload = SimpleUploadedFile("staging.pdf", b"%PDF-1.7 deployed")
    client.post(_add_url(engagement), _payload(engagement) | {"evidence_document": upload})
    milestone = Milestone.objects.get()
    stored = milestone.evidence_document.name
    form = client.get(_edit_url(milestone)).content.decode()
    url = reverse(
        "files:download", args=["engagements.Milestone", milestone.pk, "evidence_document"]
    )
    assert f'<a href="{url}">staging.pdf</a>' in form
    assert "/media/" not in form and "uploads/" not in form and "Currently" not in form
    assert "Remove the document" in form
    both = _payload(engagement) | {
        "remove_document": "on",
        "evidence_document": SimpleUploadedFile("new.pdf", b"%PDF-1.7 new"),
    }
    response = client.post(_edit_url(milestone), both)
    assert response.status_code == 422 and "not both" in response.content.decode()
    with_remove = _payload(engagement) | {"remove_document": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(_edit_url(milestone), with_remove).status_code == 302
    milestone.refresh_from_db()
    assert not milestone.evidence_document and not (tmp_path / stored).exists()
    assert "Remove the document" not in client.get(_edit_url(milestone)).content.decode()
