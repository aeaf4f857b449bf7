"""File uploads and downloads, the one way every module stores a file (issue 3, uploads).

- The type is decided by the content (magic bytes), never by the name or the declared type: only
  the kinds a caller allows pass (scans: PDF, PNG, JPEG, TIFF); an executable renamed ``.pdf``, an
  SVG (it can carry script), HTML and everything else are refused with a message naming the field.
- The stored name is generated (``uploads/<area>/<yyyy>/<mm>/<uuid>.<ext of the detected kind>``);
  nothing of the user's name reaches the path. The original name is kept only as display text,
  sanitised.
- Size and SM3 checksum are recorded (``StoredFileFields``, an abstract model a module's
  attachment table inherits).
- Downloads (``download_response``) are attachments with an RFC 5987 ``filename*``, the stored
  content type and ``nosniff``; the caller looks the parent object up with its scoped selector
  first (``audit.access.get_visible``: 404 and a denial record when out of scope).

Oversized bodies never get here: ``core.middleware.BodySizeLimitMiddleware`` answers 413 first.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models
from django.http import FileResponse
from django.utils import timezone

from zhujian.core import crypto
from zhujian.core.errors import ValidationError


@dataclass(frozen=True)
class FileKind:
    code: str
    label: str
    content_type: str
    extension: str
    signatures: tuple[bytes, ...]


KINDS: dict[str, FileKind] = {
    kind.code: kind
    for kind in (
        FileKind("pdf", "PDF", "application/pdf", "pdf", (b"%PDF-",)),
        FileKind("png", "PNG", "image/png", "png", (b"\x89PNG\r\n\x1a\n",)),
        FileKind("jpeg", "JPEG", "image/jpeg", "jpg", (b"\xff\xd8\xff",)),
        FileKind("tiff", "TIFF", "image/tiff", "tif", (b"II*\x00", b"MM\x00*")),
    )
}
SCAN_KINDS = ("pdf", "png", "jpeg", "tiff")
SCAN_MAX_BYTES = 10 * 1024 * 1024
MAX_DISPLAY_NAME = 120


def detect_kind(head: bytes) -> FileKind | None:
    """The kind whose signature starts the content, or None (unknown or not allowed anywhere)."""
    for kind in KINDS.values():
        if any(head.startswith(sig) for sig in kind.signatures):
            return kind
    return None


_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069<>:\"|?*]")


def display_name(raw: str | None, fallback: str = "附件") -> str:
    """The user's file name as display text only: no directory parts, no control or bidi
    characters, no leading dots, at most ``MAX_DISPLAY_NAME`` characters."""
    name = unicodedata.normalize("NFC", str(raw or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = _UNSAFE.sub("", name).strip().lstrip(".").strip()
    if len(name) > MAX_DISPLAY_NAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_DISPLAY_NAME - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name
        name = name[:MAX_DISPLAY_NAME]
    return name or fallback


@dataclass(frozen=True)
class StoredUpload:
    storage_name: str
    original_name: str
    size: int
    sm3: str
    content_type: str
    kind: str

    def model_fields(self) -> dict[str, Any]:
        return {
            "file_name": self.storage_name,
            "original_name": self.original_name,
            "size": self.size,
            "sm3": self.sm3,
            "content_type": self.content_type,
        }


def _size_text(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def store_upload(
    *,
    file: Any,
    allowed_kinds: tuple[str, ...] | list[str],
    max_bytes: int,
    actor: Any,
    field: str = "file",
    label: str = "文件",
    area: str = "misc",
) -> StoredUpload:
    """Check and store one uploaded file; raise ``ValidationError`` naming ``field`` if refused.

    ``file`` is a Django ``UploadedFile`` (or any object with ``read`` and ``name``). Nothing is
    written when the file is refused. The caller records the returned fields on its own row and
    audits; if that fails it calls ``delete_stored`` (the file would otherwise be an orphan).
    """
    del actor  # the caller audits; kept in the signature so every module passes it alike
    if file is None:
        raise ValidationError(fields={field: [f"请选择{label}"]})
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(max_bytes + 1)
    if not data:
        raise ValidationError(fields={field: [f"{label}为空"]})
    if len(data) > max_bytes:
        raise ValidationError(
            f"{label}过大", fields={field: [f"{label}过大：上限为 {_size_text(max_bytes)}"]}
        )
    kind = detect_kind(data[:16])
    if kind is None or kind.code not in allowed_kinds:
        allowed = "、".join(KINDS[k].label for k in allowed_kinds)
        raise ValidationError(
            f"{label}类型不允许",
            fields={field: [f"{label}类型不允许：按文件内容判断，只接受 {allowed}"]},
        )
    area_clean = re.sub(r"[^a-z0-9_-]", "", area.lower()) or "misc"
    now = timezone.localtime()
    name = f"uploads/{area_clean}/{now:%Y}/{now:%m}/{uuid.uuid4().hex}.{kind.extension}"
    saved = default_storage.save(name, ContentFile(data))
    return StoredUpload(
        storage_name=saved,
        original_name=display_name(getattr(file, "name", "")),
        size=len(data),
        sm3=crypto.sm3_hex(data),
        content_type=kind.content_type,
        kind=kind.code,
    )


def delete_stored(storage_name: str) -> None:
    if storage_name and default_storage.exists(storage_name):
        default_storage.delete(storage_name)


def download_response(stored: StoredFileFields) -> FileResponse:
    """The stored file as an attachment with the stored content type (never sniffed).

    Call only after the scoped look-up of the object it belongs to."""
    response = FileResponse(
        default_storage.open(stored.file_name, "rb"),
        as_attachment=True,
        filename=stored.original_name or f"附件.{stored.file_name.rsplit('.', 1)[-1]}",
        content_type=stored.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


class StoredFileFields(models.Model):
    """The columns every attachment table has (inherit, add the foreign key to its parent)."""

    file_name = models.CharField("存储名", max_length=200, editable=False)
    original_name = models.CharField("原文件名", max_length=MAX_DISPLAY_NAME)
    size = models.PositiveBigIntegerField("大小（字节）")
    sm3 = models.CharField("SM3 校验值", max_length=64)
    content_type = models.CharField("类型", max_length=64)
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True
