"""The registry's pages for the market officer: list, detail, create and edit render; a bad form
shows the service's Chinese message on the field and writes nothing."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client

from zhujian.core import crypto
from zhujian.registry.models import Project
from zhujian.registry.tests.support import actions_since, audit_mark, domain_snapshot
from zhujian.testing import project_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(market_officer):
    client = Client()
    client.force_login(market_officer)
    return client


def _form(code: str, **overrides: str) -> dict[str, str]:
    return {
        "code": code,
        "name": "鼓楼区某中学风雨操场工程",
        "region_code": "320106",
        "kind": "building",
        "nature": "new",
        "investment": "1234.5",
        **overrides,
    }


def _field_errors(html: str, field: str) -> list[str]:
    match = re.search(rf'id="id_{field}_error">\s*((?:<div>.*?</div>\s*)+)</div>', html, re.S)
    return re.findall(r"<div>(.*?)</div>", match.group(1)) if match else []


def test_project_pages_render_for_the_market_officer(client, make_project):
    project = make_project(name="鼓楼区滨江商务中心")
    listing = client.get("/registry/projects/")
    assert listing.status_code == 200 and "鼓楼区滨江商务中心" in listing.content.decode()
    detail = client.get(f"/registry/projects/{project.pk}/").content.decode()
    assert "鼓楼区滨江商务中心" in detail and project.code in detail and "立项用地规划许可" in detail
    create = client.get("/registry/projects/new/")
    assert create.status_code == 200
    html = create.content.decode()
    assert 'name="code"' in html and 'value="320106"' in html and "鼓楼区" in html
    edit = client.get(f"/registry/projects/{project.pk}/edit/").content.decode()
    assert 'value="鼓楼区滨江商务中心"' in edit
    assert 'name="code"' not in edit and 'name="region_code"' not in edit and 'name="stage"' not in edit


def test_create_through_the_form(client, market_officer):
    code = project_code("320106")
    mark = audit_mark()
    response = client.post("/registry/projects/new/", _form(code))
    project = Project.objects.get(code=code)
    assert response.status_code == 302 and response["Location"] == f"/registry/projects/{project.pk}/"
    assert project.investment == Decimal("12345000.00")  # the form asks 万元, the database keeps 元
    assert actions_since(mark) == [("registry.project.create", "success")]
    assert "已登记" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    "code,message",
    [
        ("2405-320106-04-01-12345", "项目代码应为24位"),
        ("2405-320106-04-0A-123456", "项目代码第17位“A”不合法：应为数字"),
        ("1905-320106-04-01-123456", "项目代码前四位“1905”"),
    ],
)
def test_bad_code_shows_the_chinese_error_on_the_field_and_writes_nothing(client, code, message):
    before, mark = domain_snapshot(), audit_mark()
    response = client.post("/registry/projects/new/", _form(code))
    assert response.status_code == 200
    html = response.content.decode()
    errors = _field_errors(html, "code")
    assert len(errors) == 1 and message in errors[0], errors
    assert "提交未成功，请修正下面标出的错误。" in html
    assert f'value="{code}"' in html  # what the user typed stays in the field
    assert domain_snapshot() == before and actions_since(mark) == []


def test_duplicate_code_and_date_order_show_on_their_fields(client, make_project):
    existing = make_project()
    before = domain_snapshot()
    html = client.post(
        "/registry/projects/new/",
        _form(existing.code, planned_start="2025-05-01", planned_completion="2025-04-01"),
    ).content.decode()
    assert _field_errors(html, "code") == ["该项目代码已登记"]
    assert _field_errors(html, "planned_completion") == ["计划竣工日期不能早于计划开工日期"]
    assert domain_snapshot() == before


def test_district_staff_form_offers_only_their_district(city):
    staff = city.user("gulou_form", "district:320106", "district_staff")
    client = Client()
    client.force_login(staff)
    html = client.get("/registry/projects/new/").content.decode()
    assert 'value="320106"' in html and 'value="320102"' not in html
    before = domain_snapshot()
    response = client.post("/registry/projects/new/", _form(project_code("320102"), region_code="320102"))
    assert response.status_code == 200 and _field_errors(response.content.decode(), "region_code")
    assert domain_snapshot() == before


def test_edit_through_the_form_cannot_move_stage_or_region(client, make_project):
    project = make_project(name="旧名称")
    mark = audit_mark()
    response = client.post(
        f"/registry/projects/{project.pk}/edit/",
        {
            "name": "新名称",
            "kind": "municipal",
            "nature": "extend",
            "stage": "completed",
            "status": "terminated",
            "region_code": "320102",
            "code": "2405-320102-04-01-999999",
        },
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.name, project.kind, project.nature) == ("新名称", "municipal", "extend")
    assert (project.stage, project.status, project.region_id) == ("land_planning", "normal", "320106")
    assert actions_since(mark) == [("registry.project.update", "success")]


def test_edit_with_bad_value_shows_error_and_changes_nothing(client, make_project):
    project = make_project(name="旧名称")
    before = domain_snapshot()
    response = client.post(
        f"/registry/projects/{project.pk}/edit/",
        {"name": "新名称", "kind": "building", "nature": "new", "latitude": "95"},
    )
    assert response.status_code == 200
    assert _field_errors(response.content.decode(), "latitude") == ["纬度须在 -90 到 90 之间"]
    assert domain_snapshot() == before


def test_pages_need_login_and_forms_need_permission(city, make_project):
    project = make_project()
    for path in ("/registry/projects/", f"/registry/projects/{project.pk}/", "/registry/projects/new/"):
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    leader = city.user("leader_ui", "district:320106", "district_leader")
    client = Client()
    client.force_login(leader)
    assert client.get(f"/registry/projects/{project.pk}/").status_code == 200
    before = domain_snapshot()
    assert client.get("/registry/projects/new/").status_code == 403
    assert client.post("/registry/projects/new/", _form(project_code())).status_code == 403
    assert (
        client.post(
            f"/registry/projects/{project.pk}/edit/", {"name": "改", "kind": "building", "nature": "new"}
        ).status_code
        == 403
    )
    assert domain_snapshot() == before


def test_form_post_without_csrf_token_is_403(market_officer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(market_officer)
    before = domain_snapshot()
    assert client.post("/registry/projects/new/", _form(project_code())).status_code == 403
    assert domain_snapshot() == before


def test_list_filters_with_junk_are_reported_not_fatal(client, make_project):
    make_project(name="鼓楼区滨江商务中心")
    for query in (
        "?ordering=password",
        "?region=abc",
        "?stage=xx",
        "?page=999999",
        "?page=-1",
        "?q=%27%20OR%201%3D1",
    ):
        assert client.get("/registry/projects/" + query).status_code == 200, query


def test_person_page_masks_and_reveal_is_audited(client, city, make_person):
    person = make_person(name="钱七", phone="13700001111")
    plaintext = crypto.decrypt_field(person.id_number_cipher)
    html = client.get(f"/registry/persons/{person.pk}/").content.decode()
    assert person.id_number_masked in html and plaintext not in html and "13700001111" not in html
    mark = audit_mark()
    html = client.post(f"/registry/persons/{person.pk}/reveal/").content.decode()
    assert plaintext in html and "13700001111" in html
    assert actions_since(mark) == [("registry.person.reveal", "success")]
    staff = city.user("gulou_ui_reveal", "district:320106", "district_staff")
    other = Client()
    other.force_login(staff)
    assert plaintext not in other.get(f"/registry/persons/{person.pk}/").content.decode()
    mark = audit_mark()
    response = other.post(f"/registry/persons/{person.pk}/reveal/")
    assert response.status_code == 403 and plaintext not in response.content.decode()
    assert actions_since(mark) == [("registry.person.reveal", "denied")]


def test_duplicate_participant_error_shows_on_the_uscc_field(client, make_project, make_enterprise):
    project, ent = make_project(), make_enterprise()
    path = f"/registry/projects/{project.pk}/participants/"
    assert client.post(path, {"organization_uscc": ent.uscc, "role": "contractor"}).status_code == 302
    before = domain_snapshot()
    response = client.post(path, {"organization_uscc": ent.uscc, "role": "contractor"})
    assert response.status_code == 422 and domain_snapshot() == before
    html = response.content.decode()
    assert "organization：" not in html
    assert _field_errors(html, "organization_uscc") == ["该单位已以此角色参建本项目"]


def test_oversized_form_post_is_413_and_writes_nothing(client, settings):
    before = domain_snapshot()
    response = client.post("/registry/projects/new/", {"name": "长" * settings.MAX_REQUEST_BODY_BYTES})
    assert response.status_code == 413 and "请求体过大" in response.content.decode()
    assert domain_snapshot() == before


@pytest.mark.django_db
def test_project_page_queries_do_not_grow_with_participants(market_officer, make_project, make_enterprise):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from zhujian.registry import services

    client = Client()
    client.force_login(market_officer)

    def queries_for(n: int) -> int:
        project = make_project()
        for _ in range(n):
            ent = make_enterprise()
            services.add_participant(
                actor=market_officer, project=project, organization=ent.organization, role="contractor"
            )
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/registry/projects/{project.pk}/").status_code == 200
        return len(captured)

    assert queries_for(1) == queries_for(4)
