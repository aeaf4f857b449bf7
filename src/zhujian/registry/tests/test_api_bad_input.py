"""Bad input to the JSON API (DESIGN.md, Bad input): 422 with ``{"error": {"code", "message",
"fields"}}`` naming the field in Chinese, 400 for a malformed body, 413 for an oversized one, never
a 500 — and nothing written in any of these cases."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.test import Client
from django.utils.crypto import get_random_string

from zhujian.accounts.services import mint_personal_token
from zhujian.registry.models import Enterprise, Person, Project
from zhujian.registry.tests.support import (
    actions_since,
    api_call,
    assert_error_shape,
    audit_mark,
    bearer,
    domain_snapshot,
)
from zhujian.testing import project_code, valid_id_number, valid_uscc

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(market_officer) -> str:
    return mint_personal_token(mfa_verified=True, user=market_officer, name="tests")[1]


def _caller(client: Client, headers: dict[str, str]) -> Any:
    def call(method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        return api_call(client, method, "/api/v1" + path, body, **headers, **kwargs)

    return call


@pytest.fixture(params=["bearer", "session"])
def api(request, market_officer, token):
    """Call the API as the market officer, with a bearer token or a logged-in session (with CSRF)."""
    client = Client(enforce_csrf_checks=True)
    if request.param == "bearer":
        return _caller(client, bearer(token))
    client.force_login(market_officer)
    csrf = get_random_string(32)  # what a page would have set as the CSRF cookie
    client.cookies[settings.CSRF_COOKIE_NAME] = csrf
    return _caller(client, {"HTTP_X_CSRFTOKEN": csrf})


@pytest.fixture
def token_api(token):
    """Bearer only, for query-string checks where how the caller logged in makes no difference."""
    return _caller(Client(), bearer(token))


def _unchanged(call: Any) -> Any:
    """Run a request that must change nothing: no domain row, no success audit record."""
    before, mark = domain_snapshot(), audit_mark()
    response = call()
    assert domain_snapshot() == before
    assert [a for a in actions_since(mark) if a[1] == "success"] == []
    return response


def _enterprise_body(**overrides: Any) -> dict[str, Any]:
    return {"uscc": valid_uscc(), "name": "南京测试建设有限公司", "roles": ["contractor"], **overrides}


# ---------------------------------------------------------------- codes and required fields


def test_valid_create_then_duplicate_enterprise(api):
    body = _enterprise_body()
    mark = audit_mark()
    created = api("POST", "/enterprises", body)
    assert created.status_code == 201, created.content
    assert created.json()["uscc"] == body["uscc"]
    assert actions_since(mark) == [("registry.enterprise.create", "success")]
    response = _unchanged(lambda: api("POST", "/enterprises", {**body, "name": "另一个名字"}))
    error = assert_error_shape(response, 422)
    assert error["fields"] == {"uscc": ["该统一社会信用代码已登记"]}
    assert Enterprise.objects.filter(uscc=body["uscc"]).count() == 1


@pytest.mark.parametrize("uscc", ["91320106MA1XXXXXX", "913201067XXXXXXXXI", "ABCDEFGHJKLMNPQRTU"])
def test_wrong_uscc_is_422_naming_the_field(api, uscc):
    response = _unchanged(lambda: api("POST", "/enterprises", _enterprise_body(uscc=uscc)))
    error = assert_error_shape(response, 422)
    assert list(error["fields"]) == ["uscc"] and "统一社会信用代码" in error["fields"]["uscc"][0]


def test_wrong_id_number_is_422_naming_the_field(api):
    good = valid_id_number()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    response = _unchanged(lambda: api("POST", "/persons", {"name": "张三", "id_number": bad}))
    error = assert_error_shape(response, 422)
    assert error["fields"] == {"id_number": ["身份证号码校验位（第18位）不正确，请核对后重新输入"]}
    assert not Person.objects.exists()


@pytest.mark.parametrize("code", ["2405-320106-04-01-12345", "2405/320106/04/01/123456", "项目代码"])
def test_wrong_project_code_is_422_naming_the_field(api, code):
    body = {"code": code, "name": "某项目", "region_code": "320106"}
    response = _unchanged(lambda: api("POST", "/projects", body))
    error = assert_error_shape(response, 422)
    assert list(error["fields"]) == ["code"] and "项目代码" in error["fields"]["code"][0]


@pytest.mark.parametrize(
    "path,body,missing",
    [
        ("/projects", {"name": "缺代码", "region_code": "320106"}, "code"),
        ("/projects", {"code": "2405-320106-04-01-000001", "region_code": "320106"}, "name"),
        ("/enterprises", {"uscc": "91320106MA1XXXXXX0", "name": "缺类型"}, "roles"),
        ("/persons", {"name": "缺身份证"}, "id_number"),
    ],
)
def test_missing_required_field_is_422_naming_it(api, path, body, missing):
    error = assert_error_shape(_unchanged(lambda: api("POST", path, body)), 422, "validation_error")
    assert error["fields"] == {missing: ["必填"]}


def test_wrong_types_are_422_in_chinese(api):
    response = _unchanged(
        lambda: api(
            "POST",
            "/projects",
            {
                "code": project_code(),
                "name": "类型错误",
                "region_code": "320106",
                "investment": "很多",
                "planned_start": "2025-13-45",
                "is_key_project": "也许",
                "kind": "castle",
            },
        )
    )
    error = assert_error_shape(response, 422, "validation_error")
    assert set(error["fields"]) == {"investment", "planned_start", "is_key_project", "kind"}


# ---------------------------------------------------------------- malformed bodies


@pytest.mark.parametrize(
    "raw",
    [
        b'{"uscc": "9132',
        b"not json at all",
        b'{"name": "\xff\xfe"}',
        b"\xef\xbb\xbf\xff",
        ("[" * 100 + "]" * 100).encode(),
        ('{"a":' * 100 + "1" + "}" * 100).encode(),
        ("[" * 100_000).encode(),
    ],
)
def test_malformed_body_is_400(api, raw):
    response = _unchanged(lambda: api("POST", "/enterprises", raw=raw))
    error = assert_error_shape(response, 400, "malformed_body")
    assert error["fields"] == {}


def test_nested_json_inside_a_field_is_400_not_500(api):
    deep: Any = "x"
    for _ in range(100):
        deep = {"a": deep}
    assert_error_shape(_unchanged(lambda: api("POST", "/enterprises", _enterprise_body(name=deep))), 400)


def test_oversized_body_is_413_with_the_error_shape(api):
    limit = settings.MAX_REQUEST_BODY_BYTES
    body = json.dumps(_enterprise_body(address="长" * (limit // 3 + 10)))
    assert len(body.encode()) > limit
    response = _unchanged(lambda: api("POST", "/enterprises", raw=body))
    error = assert_error_shape(response, 413, "payload_too_large")
    assert str(limit // 1024) in error["message"]
    # A lying Content-Length is judged by what it declares.
    response = _unchanged(lambda: api("POST", "/enterprises", raw=b"{}", CONTENT_LENGTH=str(limit + 1)))
    assert_error_shape(response, 413, "payload_too_large")


# ---------------------------------------------------------------- query parameters

BAD_LIST_PARAMETERS = [
    ("page_size=100000", "page_size"),
    ("page_size=0", "page_size"),
    ("page=0", "page"),
    ("page=-1", "page"),
    ("page=abc", "page"),
    ("ordering=password", "ordering"),
    ("ordering=region__name", "ordering"),
    ("ordering=__proto__", "ordering"),
    ("ordering=-search_tokens", "ordering"),
    ("region=32010", "region"),
    ("stage=built", "stage"),
    ("key_project=perhaps", "key_project"),
    ("q=" + "长" * 101, "q"),
]


def test_bad_list_parameters_are_422(token_api, make_project):
    make_project()
    for query, field in BAD_LIST_PARAMETERS:  # one test, many requests: the set-up dominates the cost
        response = _unchanged(lambda query=query: token_api("GET", "/projects?" + query))
        error = assert_error_shape(response, 422, "validation_error")
        assert list(error["fields"]) == [field], query


@pytest.mark.parametrize("path", ["/enterprises", "/persons"])
def test_bad_ordering_and_page_size_on_other_lists_are_422(token_api, path):
    assert_error_shape(token_api("GET", path + "?page_size=100000"), 422)
    if path == "/enterprises":
        assert_error_shape(token_api("GET", path + "?ordering=organization__users__password"), 422)


JUNK = [
    "' OR 1=1 --",
    '" OR ""="',
    "1; DROP TABLE registry_project; --",
    "*",
    "NEAR(a b)",
    "a OR b",
    '"unterminated',
    '项目" OR "1',
    "%",
    "_",
    "\\",
    "\x00",
    "()",
    "^",
    "-",
    "鼓楼 AND 1=1",
    "'; --",
    "registry_project_fts MATCH 'x'",
]


LIST_PARAMS = {
    "/projects": ("q", "region", "stage", "ordering"),
    "/enterprises": ("q", "role", "ordering"),
    "/persons": ("q", "id_number", "employer"),
}


def test_sqlish_filter_values_never_500(token_api, make_project):
    make_project(name="鼓楼区测试项目")
    before = domain_snapshot()
    for junk in JUNK:
        for path, params in LIST_PARAMS.items():
            for param in params:
                response = token_api("GET", f"{path}?{param}={quote(junk)}")
                assert response.status_code in (200, 422), (path, param, junk, response.status_code)
                if response.status_code == 200:
                    data = response.json()
                    assert data["count"] == len(data["items"]) <= 1, (path, param, junk)
                else:
                    assert_error_shape(response, 422, "validation_error")
    assert domain_snapshot() == before


# ---------------------------------------------------------------- mass assignment


@pytest.mark.parametrize(
    "extra",
    [
        {"stage": "completed"},
        {"status": "terminated"},
        {"region_code": "320102"},
        {"code": "2405-320106-04-01-999999"},
        {"search_tokens": "x"},
        {"id": 1},
    ],
)
def test_patch_project_with_non_editable_field_is_422_and_changes_nothing(api, make_project, extra):
    project = make_project(name="原名称")
    response = _unchanged(lambda: api("PATCH", f"/projects/{project.pk}", {"name": "新名称", **extra}))
    error = assert_error_shape(response, 422)
    assert error["code"] in {"field_not_editable", "validation_error"}
    assert list(error["fields"]) == list(extra)
    project.refresh_from_db()
    assert (project.name, project.stage, project.status, project.region_id) == (
        "原名称",
        "land_planning",
        "normal",
        "320106",
    )


def test_create_project_with_stage_is_refused(api):
    code = project_code()
    body = {"code": code, "name": "项目", "region_code": "320106", "stage": "under_construction"}
    response = _unchanged(lambda: api("POST", "/projects", body))
    assert assert_error_shape(response, 422)["fields"] == {"stage": ["不允许提交该字段"]}
    assert not Project.objects.filter(code=code).exists()


@pytest.mark.parametrize(
    "path_kind,extra",
    [
        ("enterprise", {"uscc": "91320106MA1XXXXXX0"}),
        ("enterprise", {"organization_id": 1}),
        ("person", {"id_number": "320106198501010011"}),
        ("person", {"gender": "male"}),
    ],
)
def test_patch_enterprise_and_person_refuse_identity_fields(
    api, make_enterprise, make_person, path_kind, extra
):
    obj = make_enterprise() if path_kind == "enterprise" else make_person()
    path = f"/{path_kind}s/{obj.pk}"
    error = assert_error_shape(_unchanged(lambda: api("PATCH", path, {"name": "改名", **extra})), 422)
    assert list(error["fields"]) == list(extra)


def test_valid_patch_changes_and_audits(api, make_project):
    project = make_project(name="原名称")
    mark = audit_mark()
    response = api("PATCH", f"/projects/{project.pk}", {"name": "新名称", "investment": "1000000.5"})
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "新名称" and response.json()["investment"] == "1000000.50"
    project.refresh_from_db()
    assert project.name == "新名称"
    assert actions_since(mark) == [("registry.project.update", "success")]


def test_create_project_returns_code_region_warning(api):
    response = api(
        "POST", "/projects", {"code": "2405-329999-04-01-000123", "name": "待核实", "region_code": "320106"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["warnings"] == ["项目代码中的行政区划 329999 不在区划表中，请核实"]


def test_reveal_through_the_api_is_audited_and_needs_permission(api, city, make_person):
    person = make_person()
    mark = audit_mark()
    response = api("POST", f"/persons/{person.pk}/reveal", {})
    assert response.status_code == 200
    assert response.json()["id_number"] != person.id_number_masked and "*" not in response.json()["id_number"]
    assert actions_since(mark) == [("registry.person.reveal", "success")]
    # Without the permission: 403 with the error shape, the denial audited.
    staff = city.user("gulou_api_reveal", "district:320106", "district_staff")
    raw = mint_personal_token(mfa_verified=True, user=staff, name="t")[1]
    mark = audit_mark()
    response = api_call(Client(), "POST", f"/api/v1/persons/{person.pk}/reveal", {}, **bearer(raw))
    assert_error_shape(response, 403, "permission_denied")
    assert actions_since(mark) == [("registry.person.reveal", "denied")]


def test_write_without_permission_is_403_and_audited(city):
    leader = city.user("leader_api", "district:320106", "district_leader")
    raw = mint_personal_token(mfa_verified=True, user=leader, name="t")[1]
    before, mark = domain_snapshot(), audit_mark()
    response = api_call(
        Client(),
        "POST",
        "/api/v1/projects",
        {"code": project_code(), "name": "无权", "region_code": "320106"},
        **bearer(raw),
    )
    assert_error_shape(response, 403, "permission_denied")
    assert domain_snapshot() == before
    assert actions_since(mark) == [("access.denied", "denied")]


def test_renaming_an_enterprise_to_a_taken_name_is_422_not_500(api, make_enterprise):
    taken, ent = make_enterprise(name="南京甲建设有限公司"), make_enterprise(name="南京乙建设有限公司")
    response = _unchanged(lambda: api("PATCH", f"/enterprises/{ent.pk}", {"name": taken.name}))
    assert assert_error_shape(response, 422, "duplicate")["fields"] == {"name": ["已有同名企业登记"]}
    assert api("GET", f"/enterprises/{ent.pk}").json()["name"] == "南京乙建设有限公司"


@pytest.mark.parametrize(
    "body",
    [{"investment": "1e14"}, {"investment": 99999999999999.99}, {"longitude": 1e300}, {"height": "1e14"}],
)
def test_numbers_too_large_for_the_column_are_422_and_the_project_stays_readable(api, make_project, body):
    project = make_project()
    response = _unchanged(lambda: api("PATCH", f"/projects/{project.pk}", body))
    assert list(assert_error_shape(response, 422)["fields"]) == list(body)
    assert api("GET", f"/projects/{project.pk}").status_code == 200
    assert api("GET", "/projects").json()["count"] == 1


def test_participant_errors_name_the_request_fields(api, make_project, make_enterprise, make_person):
    project, ent, other = make_project(), make_enterprise(), make_enterprise()
    outsider = make_person(employer=other.organization)
    path = f"/projects/{project.pk}/participants"
    body = {"organization_id": ent.organization_id, "role": "contractor"}
    assert api("POST", path, body).status_code == 201
    duplicate = _unchanged(lambda: api("POST", path, body))
    wrong_person = _unchanged(
        lambda: api(
            "POST",
            path,
            {
                "organization_id": ent.organization_id,
                "role": "designer",
                "key_person_id": outsider.pk,
                "key_person_role": "design_leader",
            },
        )
    )
    assert list(assert_error_shape(duplicate, 422)["fields"]) == ["organization_id"]
    assert list(assert_error_shape(wrong_person, 422)["fields"]) == ["key_person_id"]
