"""Uploads: documents and images only, by their content; a size limit; stored under the
organisation; served only through files:download, which restricts like the page does."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.roles import Role
from handover.templatetags.files import download_url
from handover.uploads import safe_name, validate_document
from tests.reportapp.models import Attachment

from .conftest import make_engagement, make_member

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.parametrize(
    ("name", "content"),
    [("invoice.pdf", PDF), ("chart.png", PNG), ("notes.txt", "Nöte ✓".encode()), ("a.CSV", b"a,b")],
)
def test_documents_and_images_are_accepted(name, content):
    validate_document(SimpleUploadedFile(name, content))


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("setup.exe", b"MZ\x90\x00", "not a file we accept"),
        ("invoice.pdf", b"MZ\x90\x00 an executable renamed", "not a PDF file"),
        ("notes.txt", b"\x00\x01\x02binary", "not text"),
        ("empty.pdf", b"", "empty"),
        ("no-extension", PDF, "not a file we accept"),
    ],
)
def test_disguised_or_unwanted_files_are_refused_with_a_reason(name, content, reason):
    with pytest.raises(ValidationError, match=reason):
        validate_document(SimpleUploadedFile(name, content))


def test_an_oversize_file_is_refused(settings):
    settings.MAX_UPLOAD_MB = 1
    with pytest.raises(ValidationError, match="1 MB at most"):
        validate_document(SimpleUploadedFile("big.pdf", PDF + b"0" * 1024 * 1024))


def test_names_are_made_safe():
    assert safe_name("../../etc/pass wd<script>.PDF") == "pass-wd-script.pdf"
    assert safe_name("\u202egnp.exe") == "gnp.exe"


@pytest.fixture
def attachment(org, owner):
    engagement = make_engagement(org, owner)
    item = Attachment(engagement=engagement)
    item.document.save("Invoice 42.pdf", ContentFile(PDF), save=True)
    return item


def test_a_file_is_stored_under_its_organisation_and_served_to_members(
    client_for, owner, org, attachment
):
    assert attachment.document.name.startswith(f"uploads/{org.pk}/attachment/")
    assert attachment.document.name.endswith("/Invoice-42.pdf")
    url = download_url(attachment, "document")
    response = client_for(owner).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'attachment; filename="Invoice-42.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF


def test_files_follow_their_objects_access(client_for, org, other_org, attachment):
    url = download_url(attachment, "document")
    outsider = make_member(other_org, Role.OWNER)
    assert client_for(outsider).get(url).status_code == 404
    vendor = make_member(org, Role.VENDOR)
    assert client_for(vendor).get(url).status_code == 404  # not assigned
    attachment.engagement.vendor_contacts.add(vendor.memberships.get())
    assert client_for(vendor).get(url).status_code == 200


@pytest.mark.parametrize(
    "args",
    [
        ["reportapp.Attachment", 1, "engagement"],  # not a downloadable field
        ["engagements.Engagement", 1, "title"],  # a model that offers no file
        ["auth.User", 1, "password"],  # not tenant data at all
        ["nonsense", 1, "document"],
    ],
)
def test_only_declared_files_can_be_downloaded(client_for, owner, attachment, args):
    assert client_for(owner).get(reverse("files:download", args=args)).status_code == 404


def test_a_request_larger_than_any_upload_is_refused_before_it_is_read(client_for, owner, settings):
    settings.MAX_UPLOAD_MB = 1
    response = client_for(owner).post(
        reverse("engagements:portfolio"),
        data=b"x",
        content_type="application/octet-stream",
        CONTENT_LENGTH=str(3 * 1024 * 1024),
    )
    assert response.status_code == 413 and "1 MB at most" in response.content.decode()


def test_a_replaced_or_deleted_document_leaves_storage(
    attachment, tmp_path, django_capture_on_commit_callbacks
):
    first = tmp_path / attachment.document.name
    assert first.exists()
    with django_capture_on_commit_callbacks(execute=True):
        attachment.document.save("second.pdf", ContentFile(PDF), save=True)
    second = tmp_path / attachment.document.name
    assert not first.exists() and second.exists()
    with django_capture_on_commit_callbacks(execute=True):
        attachment.delete()
    assert not second.exists()


def test_deleting_an_organisation_removes_its_whole_upload_folder(
    attachment, org, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    orphan = tmp_path / f"uploads/{org.pk}/attachment/left-behind/old.pdf"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(PDF)  # a file no row points at any more
    with django_capture_on_commit_callbacks(execute=True):
        call_command("deleteorg", org.slug, "--yes", stdout=io.StringIO())
    assert not orphan.exists() and not (tmp_path / attachment.document.name).exists()
