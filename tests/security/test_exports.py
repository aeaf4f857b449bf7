"""Scoped, audited CSV/Excel exports of the project and enterprise lists (issue 3): a district
user's export holds only their district, the permission is required, one audit record per export
with the filters and row count, and formula-looking cells are neutralised in both formats."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from zhujian.audit.models import AuditEvent
from zhujian.registry import exports
from zhujian.registry.filters import ProjectFilter

DANGEROUS = ['=HYPERLINK("http://evil","点我")', "+1+1", "-2+3", "@SUM(A1:A2)", "\tcmd", "\r=1"]


@pytest.fixture
def scene(city: Any, make_project: Any, make_enterprise: Any) -> dict[str, Any]:
    a1 = make_project(region="320102", name="玄武区住宅一期", address="=1+1")
    a2 = make_project(region="320102", name="玄武区学校")
    b1 = make_project(region="320106", name="鼓楼区住宅项目")
    make_enterprise(name="甲方建设有限公司", legal_representative="@张三", address="+86 中山路")
    return {
        "district_a": city.user("xuanwu_exp", "district:320102", "district_staff"),
        "reviewer": city.user("reviewer_exp", "行政审批处", "approval_reviewer"),
        "projects": (a1, a2, b1),
    }


def _csv_rows(response: Any) -> list[list[str]]:
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def _xlsx_rows(response: Any) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.django_db
def test_district_export_holds_only_their_district_and_is_audited(scene: dict[str, Any]) -> None:
    client = Client()
    client.force_login(scene["district_a"])
    before = AuditEvent.objects.filter(action="registry.project.export").count()
    response = client.get("/registry/projects/export.csv?q=住宅&region=320106")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    rows = _csv_rows(response)
    assert rows[0][:2] == ["项目代码", "项目名称"] and len(rows) == 1  # other district filtered away
    all_rows = _csv_rows(client.get("/registry/projects/export.csv"))[1:]
    assert sorted(r[1] for r in all_rows) == ["玄武区住宅一期", "玄武区学校"]
    assert {r[2] for r in all_rows} == {"玄武区"}
    xlsx = client.get("/registry/projects/export.xlsx?q=住宅")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxml")
    sheet_rows = _xlsx_rows(xlsx)
    assert [r[1] for r in sheet_rows[1:]] == ["玄武区住宅一期"]
    events = AuditEvent.objects.filter(action="registry.project.export").order_by("id")
    assert events.count() == before + 3
    first, second, third = list(events)[-3:]
    assert first.actor_id == scene["district_a"].pk and first.count == 0
    assert first.detail["filters"]["region"] == "320106" and first.detail["format"] == "csv"
    assert second.count == 2 and third.count == 1 and third.detail["filters"]["q"] == "住宅"


@pytest.mark.django_db
def test_export_needs_the_permission(scene: dict[str, Any]) -> None:
    client = Client()
    client.force_login(scene["reviewer"])
    page = client.get("/registry/projects/").content.decode()
    assert "export.csv" not in page
    before = AuditEvent.objects.count()
    for url in ("/registry/projects/export.csv", "/registry/enterprises/export.xlsx"):
        response = client.get(url)
        assert response.status_code == 403 and "Content-Disposition" not in response
    denied = AuditEvent.objects.filter(outcome="denied").order_by("-id")[:2]
    assert AuditEvent.objects.count() == before + 2
    assert {e.action for e in denied} == {"registry.project.export", "registry.enterprise.export"}
    anonymous = Client().get("/registry/projects/export.csv")
    assert anonymous.status_code == 302
    client.force_login(scene["district_a"])
    assert (
        "/registry/projects/export.csv" in client.get("/registry/projects/?stage=completed").content.decode()
    )


@pytest.mark.django_db
def test_bad_filter_or_format_is_refused_not_widened(scene: dict[str, Any]) -> None:
    client = Client()
    client.force_login(scene["district_a"])
    before = AuditEvent.objects.count()
    assert client.get("/registry/projects/export.csv?region=abc").status_code == 422
    assert client.get("/registry/projects/export.csv?ordering=password").status_code == 422
    assert client.get("/registry/projects/export.html").status_code == 404
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_formula_cells_are_neutralised_in_both_formats(scene: dict[str, Any], make_enterprise: Any) -> None:
    for i, text in enumerate(DANGEROUS):
        make_enterprise(name=f"企业{i}", address=text)
    client = Client()
    client.force_login(scene["district_a"])
    csv_rows = _csv_rows(client.get("/registry/enterprises/export.csv"))
    xlsx_rows = _xlsx_rows(client.get("/registry/enterprises/export.xlsx"))
    for rows in (csv_rows, xlsx_rows):
        cells = [str(c) for row in rows[1:] for c in row if c not in (None, "")]
        assert all(not c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells), cells
        addresses = {str(row[4]) for row in rows[1:]}
        for text in DANGEROUS:  # the services strip surrounding white space before storing
            assert exports.neutralise(text.strip()) in addresses
        assert "'+86 中山路" in addresses and "'@张三" in {str(row[3]) for row in rows[1:]}
    workbook = load_workbook(io.BytesIO(client.get("/registry/enterprises/export.xlsx").content))
    assert all(cell.data_type != "f" for row in workbook.active.iter_rows() for cell in row)
    project_csv = _csv_rows(client.get("/registry/projects/export.csv?q=一期"))
    assert project_csv[1][7] == "'=1+1"


def test_neutralise_leaves_numbers_and_safe_text() -> None:
    assert exports.neutralise(-5) == -5
    assert exports.neutralise("南京") == "南京"
    assert exports.neutralise("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0"
    assert exports.neutralise("\tcmd") == "'\tcmd" and exports.neutralise("\r=1") == "'\r=1"


@pytest.mark.django_db
def test_service_is_scoped_without_the_view(scene: dict[str, Any]) -> None:
    result = exports.export_projects(actor=scene["district_a"], filters=ProjectFilter(), fmt="csv")
    assert result.rows == 2 and "鼓楼区" not in result.content.decode("utf-8-sig")
