"""Files people upload — invoices, evidence, report attachments: documents and images only,
under a size limit, recognised by their content (not their name), stored through Django's
storage API under the organisation, and served only by `files:download`, which checks access
like any page. Nothing uploaded is ever reachable at a public URL.

A model joins in two lines: a `DocumentField` and its name in `downloadable`:

    document = DocumentField("invoice document", blank=True)
    downloadable = ("document",)

and a template links to it with `{% load files %}{{ invoice|download_url:"document" }}`.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models.signals import post_delete, pre_save

# What people attach: documents and images, each known by how its content starts.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".webp": (b"RIFF",),
    # Office documents are zip archives.
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".pptx": (b"PK\x03\x04",),
    ".odt": (b"PK\x03\x04",),
    ".ods": (b"PK\x03\x04",),
}
TEXT = {".txt", ".csv", ".md"}
CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".md": "text/markdown",
}
ALLOWED = sorted(set(SIGNATURES) | TEXT)


def max_upload_bytes() -> int:
    return settings.MAX_UPLOAD_MB * 1024 * 1024


def validate_document(upload) -> None:
    """Refuse what is not a document or image we accept, with a reason a person can act on:
    the wrong kind of file, an empty or oversize one, or one whose content is not what its
    name says (an executable renamed .pdf)."""
    name = getattr(upload, "name", "") or ""
    extension = PurePath(name).suffix.lower()
    if extension not in ALLOWED:
        raise ValidationError(
            f"“{PurePath(name).name[:80]}” is not a file we accept: attach a document or an "
            f"image ({', '.join(e.lstrip('.') for e in ALLOWED)}).",
            code="file_type",
        )
    size = getattr(upload, "size", None) or 0
    if size == 0:
        raise ValidationError("That file is empty.", code="file_empty")
    if size > max_upload_bytes():
        raise ValidationError(
            f"That file is {size / 1024 / 1024:.1f} MB; files may be {settings.MAX_UPLOAD_MB} MB "
            "at most.",
            code="file_size",
        )
    head = _head(upload)
    if extension in TEXT:
        if b"\x00" in head or not _is_text(head):
            raise ValidationError(
                f"That file's content is not text, as a {extension} file's should be.",
                code="file_content",
            )
    elif not head.startswith(SIGNATURES[extension]) or (
        extension == ".webp" and head[8:12] != b"WEBP"
    ):
        raise ValidationError(
            f"That file's content is not a {extension.lstrip('.').upper()} file, whatever its "
            "name says.",
            code="file_content",
        )


def _head(upload, length: int = 2048) -> bytes:
    position = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    head = upload.read(length)
    upload.seek(position)
    return head if isinstance(head, bytes) else head.encode()


def _is_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        return exc.start >= len(head) - 3
    return True


def safe_name(filename: str) -> str:
    """A file name that is safe in a path and a header: letters, digits, dot, dash."""
    stem, extension = os.path.splitext(PurePath(filename).name)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.")[:80] or "file"
    return f"{stem}{extension.lower()}"


def organisation_id_of(instance) -> int:
    """The organisation an instance belongs to, by its model's `Scope` path."""
    target = instance
    for step in instance.scope.organisation.split("__"):
        target = getattr(target, f"{step}_id" if step == "organisation" else step)
    return target


def upload_path(instance, filename: str) -> str:
    """uploads/<organisation>/<model>/<random>/<name>: grouped by tenant (so deleting an
    organisation can remove its folder), unguessable, and never served by the web server."""
    return (
        f"uploads/{organisation_id_of(instance)}/{instance._meta.model_name}/"
        f"{uuid.uuid4().hex}/{safe_name(filename)}"
    )


class DocumentField(models.FileField):
    """A FileField that accepts documents and images only (`validate_document`) and stores
    them under the organisation (`upload_path`)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("upload_to", upload_path)
        kwargs.setdefault("max_length", 300)
        super().__init__(*args, **kwargs)
        self.validators.append(validate_document)

    def contribute_to_class(self, cls, name, *args, **kwargs):
        super().contribute_to_class(cls, name, *args, **kwargs)
        if not cls._meta.abstract:
            # Only models with documents listen, so every other model keeps fast deletes.
            uid = f"uploads:{cls._meta.label}"
            post_delete.connect(delete_files_of_deleted_rows, cls, weak=False, dispatch_uid=uid)
            pre_save.connect(delete_replaced_files, cls, weak=False, dispatch_uid=uid)

    def formfield(self, **kwargs):
        field = super().formfield(**kwargs)
        field.widget.attrs.setdefault("accept", ",".join(ALLOWED))
        field.help_text = field.help_text or (
            f"A document or an image, {settings.MAX_UPLOAD_MB} MB at most."
        )
        return field


def content_type_for(name: str) -> str:
    return CONTENT_TYPES.get(PurePath(name).suffix.lower(), "application/octet-stream")


# --- Files go with the rows that point at them ------------------------------------------


def _document_fields(model) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if isinstance(f, DocumentField)]


def _is_history(model) -> bool:
    # The audit trail's copies name a file; they never own it.
    return model.__name__.startswith("Historical")


def delete_files_of_deleted_rows(sender, instance, **kwargs):
    """A deleted row's documents leave storage once the deletion commits."""
    if _is_history(sender):
        return
    for name in _document_fields(sender):
        stored = getattr(instance, name)
        _delete_on_commit(stored.storage, stored.name)


def delete_replaced_files(sender, instance, raw=False, **kwargs):
    """A document replaced by another (or cleared) leaves storage once the change commits."""
    fields = _document_fields(sender)
    if raw or not fields or instance._state.adding or _is_history(sender):
        return
    stored = sender._base_manager.filter(pk=instance.pk).values(*fields).first() or {}
    for name in fields:
        old, new = stored.get(name), getattr(instance, name).name
        if old and old != new:
            _delete_on_commit(getattr(instance, name).field.storage, old)


def _delete_on_commit(storage, name: str) -> None:
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def delete_organisation_uploads(organisation_id: int, storage=None) -> int:
    """Remove everything under uploads/<organisation>/, including files no row points at any
    more. For `deleteorg`; returns how many files went."""
    storage = storage or default_storage
    removed = 0

    def walk(path: str) -> None:
        nonlocal removed
        try:
            directories, files = storage.listdir(path)
        except (FileNotFoundError, NotImplementedError):
            return
        for name in files:
            storage.delete(f"{path}/{name}")
            removed += 1
        for directory in directories:
            walk(f"{path}/{directory}")

    walk(f"uploads/{organisation_id}")
    return removed
