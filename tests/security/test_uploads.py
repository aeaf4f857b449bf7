"""Upload attacks and safe downloads (issue 3): type by content, generated names, size caps,
attachments with nosniff, and a scoped look-up (another enterprise's scan is 404 + a denial)."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from zhujian.audit.models import AuditEvent
from zhujian.core import crypto, uploads
from zhujian.core.errors import ValidationError
from zhujian.registry import services
from zhujian.registry.models import Attachment

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
TIFF = b"II*\x00" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def scene(
    media: Path, market_officer: Any, make_enterprise: Any, make_person: Any, city: Any
) -> dict[str, Any]:
    x = make_enterprise(name="甲方建设有限公司")
    y = make_enterprise(name="乙方建设有限公司")
    qual_y = services.add_qualification(
        actor=market_officer,
        enterprise=y,
        category="general",
        specialty="建筑工程",
        grade="一级",
        certificate_no="D232009999",
        valid_until=datetime.date(2030, 1, 1),
    )
    person_y = make_person(name="王乙", employer=y.organization)
    cert_y = services.add_certificate(
        actor=market_officer,
        person=person_y,
        kind="constructor",
        number="苏132009999",
        valid_until=datetime.date(2030, 1, 1),
    )
    user_x = city.user("x_user", "district:320102", "applicant")
    user_x.organization = x.organization
    user_x.save()
    return {"officer": market_officer, "qual": qual_y, "cert": cert_y, "enterprise": y, "user_x": user_x}


def _files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def _upload(
    client: Client, qual: Any, name: str, content: bytes, content_type: str = "application/pdf"
) -> Any:
    return client.post(
        f"/registry/qualifications/{qual.pk}/scans/",
        {"file": SimpleUploadedFile(name, content, content_type=content_type)},
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("营业执照.pdf", EXE, "application/pdf"),  # a renamed executable
        ("scan.png", SVG, "image/png"),  # SVG with script, claiming to be PNG
        ("scan.svg", SVG, "image/svg+xml"),
        ("scan.pdf", HTML, "application/pdf"),
        ("scan.pdf", b"", "application/pdf"),
        ("scan.pdf", b"%PD", "application/pdf"),
    ],
)
def test_content_not_allowed_is_refused_naming_the_field(
    scene: dict[str, Any], media: Path, name: str, content: bytes, content_type: str
) -> None:
    client = Client()
    client.force_login(scene["officer"])
    before = AuditEvent.objects.count()
    response = _upload(client, scene["qual"], name, content, content_type)
    assert response.status_code == 422
    assert "扫描件" in response.content.decode()
    assert Attachment.objects.count() == 0 and _files(media) == []
    assert AuditEvent.objects.count() == before
    with pytest.raises(ValidationError) as caught:
        uploads.store_upload(
            file=SimpleUploadedFile(name, content),
            allowed_kinds=uploads.SCAN_KINDS,
            max_bytes=1024,
            actor=None,
        )
    assert "file" in caught.value.fields


@pytest.mark.django_db
def test_oversized_upload_is_refused(scene: dict[str, Any], media: Path, settings: Any) -> None:
    client = Client()
    client.force_login(scene["officer"])
    big = PDF + b"0" * uploads.SCAN_MAX_BYTES
    response = _upload(client, scene["qual"], "big.pdf", big)
    assert response.status_code == 422 and "扫描件过大" in response.content.decode()
    settings.MAX_UPLOAD_BODY_BYTES = 64 * 1024  # over the body cap: 413 before anything reads it
    response = _upload(client, scene["qual"], "big.pdf", PDF + b"0" * 128 * 1024)
    assert response.status_code == 413
    assert Attachment.objects.count() == 0 and _files(media) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..\\..\\x.pdf",
        "/etc/cron.d/evil.pdf",
        "C:\\Windows\\evil.pdf",
        "....//....//x.pdf",
        "%2e%2e%2fetc%2fpasswd.pdf",
        "\u202egpj.exe",
    ],
)
def test_path_traversal_names_are_stored_safely(scene: dict[str, Any], media: Path, name: str) -> None:
    client = Client()
    client.force_login(scene["officer"])
    response = _upload(client, scene["qual"], name, PDF)
    assert response.status_code == 302
    scan = Attachment.objects.get()
    files = _files(media)
    assert len(files) == 1 and files[0].resolve().is_relative_to(media.resolve())
    assert files[0].read_bytes() == PDF
    stored = Path(scan.file_name)
    assert stored.parts[:2] == ("uploads", "qualifications") and ".." not in stored.parts
    assert len(stored.stem) == 32 and stored.suffix == ".pdf"  # uuid4 hex, extension by content
    assert "/" not in scan.original_name and "\\" not in scan.original_name
    assert not scan.original_name.startswith(".") and "\u202e" not in scan.original_name
    assert scan.size == len(PDF) and scan.sm3 == crypto.sm3_hex(PDF)
    assert scan.content_type == "application/pdf" and scan.uploaded_by == scene["officer"]
    event = AuditEvent.objects.filter(action="registry.qualification.attach_scan").get()
    assert event.detail["sm3"] == scan.sm3


class RawFile:
    """An upload whose name Django's multipart parser has not cleaned (any caller of store_upload)."""

    def __init__(self, name: str, data: bytes) -> None:
        self.name = name
        self._data = data

    def read(self, size: int = -1) -> bytes:
        return self._data if size < 0 else self._data[:size]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["../../etc/passwd", "..\\..\\x.pdf", "..", ".", "", "/", "a/../../b.pdf"])
def test_raw_traversal_names_never_reach_the_path(media: Path, name: str) -> None:
    stored = uploads.store_upload(
        file=RawFile(name, PDF), allowed_kinds=uploads.SCAN_KINDS, max_bytes=1024, actor=None, area="../x"
    )
    path = (media / stored.storage_name).resolve()
    assert path.is_relative_to(media.resolve()) and path.read_bytes() == PDF
    assert stored.storage_name.startswith("uploads/x/") and ".." not in stored.storage_name
    assert "/" not in stored.original_name and "\\" not in stored.original_name
    assert stored.original_name and not stored.original_name.startswith(".")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "content_type"),
    [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg"), (TIFF, "image/tiff")],
)
def test_allowed_kinds_are_detected_by_content(
    scene: dict[str, Any], content: bytes, content_type: str
) -> None:
    scan = services.attach_certificate_scan(
        actor=scene["officer"],
        certificate=scene["cert"],
        file=SimpleUploadedFile("证书.bin", content, content_type="application/octet-stream"),
    )
    assert scan.content_type == content_type


@pytest.mark.django_db
def test_download_is_an_attachment_with_nosniff(scene: dict[str, Any]) -> None:
    scan = services.attach_qualification_scan(
        actor=scene["officer"],
        qualification=scene["qual"],
        file=SimpleUploadedFile("资质证书 <b>.pdf", PDF),
    )
    client = Client()
    client.force_login(scene["officer"])
    page = client.get(f"/registry/enterprises/{scene['enterprise'].pk}/").content.decode()
    assert f"/registry/attachments/{scan.pk}/" in page and "<b>" not in page
    response = client.get(f"/registry/attachments/{scan.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote(scan.original_name)}" in disposition
    assert AuditEvent.objects.filter(action="registry.attachment.download", object_id=str(scan.pk)).exists()


@pytest.mark.django_db
def test_another_enterprises_scan_is_404_with_a_denial(scene: dict[str, Any]) -> None:
    scan = services.attach_certificate_scan(
        actor=scene["officer"], certificate=scene["cert"], file=SimpleUploadedFile("c.pdf", PDF)
    )
    client = Client()
    client.force_login(scene["user_x"])
    before = AuditEvent.objects.filter(action="access.denied").count()
    hidden = client.get(f"/registry/attachments/{scan.pk}/")
    missing = client.get("/registry/attachments/999999/")
    assert hidden.status_code == missing.status_code == 404
    assert "Content-Disposition" not in hidden
    denials = AuditEvent.objects.filter(action="access.denied").order_by("-id")
    assert denials.count() == before + 1
    assert (
        denials.first().object_type == "registry.attachment"
        and denials.first().actor_id == scene["user_x"].pk
    )
    upload = client.post(
        f"/registry/certificates/{scene['cert'].pk}/scans/", {"file": SimpleUploadedFile("x.pdf", PDF)}
    )
    assert upload.status_code == 404 and Attachment.objects.count() == 1


@pytest.mark.django_db
def test_upload_needs_the_permission(scene: dict[str, Any], city: Any) -> None:
    viewer = city.user("reviewer1", "行政审批处", "approval_reviewer")
    client = Client()
    client.force_login(viewer)
    response = _upload(client, scene["qual"], "a.pdf", PDF)
    assert response.status_code == 403
    assert Attachment.objects.count() == 0
