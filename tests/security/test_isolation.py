"""District and organisation isolation, checked generically over every route (DESIGN.md).

Every URL pattern that takes an object id is walked: a user outside the object's scope gets 404
(the same as for a missing object), no domain row changes, and exactly one denial is audited.
A route whose id parameter this test does not know fails the test, so new routes cannot slip by.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter

from zhujian.accounts.services import mint_personal_token
from zhujian.audit.models import AuditEvent
from zhujian.registry import services

# Kinds that are city-wide for staff (DESIGN.md scope table): registry data public by law and
# persons (masked). They are isolated between enterprises instead, so the outsider for them is an
# enterprise user of another organisation.
CITY_WIDE_FOR_STAFF = {
    "enterprise_id",
    "qualification_id",
    "person_id",
    "certificate_id",
    "attachment_id",  # a scan follows its qualification or certificate
}
# Project-scoped kinds: the outsider is district staff of another district.
PROJECT_SCOPED = {"project_id", "participant_id"}
# Private to their owner.
OWNER_ONLY = {"token_id"}
# Public pages are an explicit allow-list (permit verification and the portal arrive later):
# the health check, the trivial API endpoint, the OpenAPI document and the login page.
PUBLIC_ALLOW_LIST = {"healthz", "api/v1/ping", "api/v1/openapi.json", "accounts/login/"}

# A valid body for each API write route, so that the 404 comes from scoping, not from validation.
API_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "projects/<int:project_id>"): {"name": "改名"},
    ("POST", "projects/<int:project_id>/participants"): {"organization_id": 1, "role": "contractor"},
    ("PATCH", "enterprises/<int:enterprise_id>"): {"address": "新地址"},
    ("POST", "enterprises/<int:enterprise_id>/qualifications"): {
        "category": "general",
        "specialty": "建筑工程",
        "grade": "一级",
        "certificate_no": "X1",
        "valid_until": "2030-01-01",
    },
    ("POST", "enterprises/<int:enterprise_id>/safety-licenses"): {
        "number": "X2",
        "valid_until": "2030-01-01",
    },
    ("PATCH", "persons/<int:person_id>"): {"name": "李四"},
    ("POST", "persons/<int:person_id>/reveal"): {},
    ("POST", "persons/<int:person_id>/certificates"): {
        "kind": "constructor",
        "number": "X3",
        "valid_until": "2030-01-01",
    },
    ("DELETE", "me/tokens/<int:token_id>"): {},
}


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    kwargs: tuple[str, ...]
    is_api: bool
    methods: tuple[str, ...]


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, Any]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = (
                f"{namespace}:{entry.namespace}"
                if namespace and entry.namespace
                else (entry.namespace or namespace)
            )
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace else (entry.name or "")
            yield name, prefix + str(entry.pattern), entry


def _openapi_paths() -> dict[str, Any]:
    from zhujian.api import api

    return api.get_openapi_schema()["paths"]


def object_routes() -> list[Route]:
    routes = []
    for name, pattern, entry in _walk(get_resolver().url_patterns):
        # Object ids are integers; a slug (a module page) names no object.
        kwargs = tuple(k for k, c in entry.pattern.converters.items() if isinstance(c, IntConverter))
        if not kwargs or pattern.startswith("admin/"):
            continue
        is_api = pattern.startswith("api/v1/")
        if is_api:
            openapi_path = "/" + pattern
            for kwarg in kwargs:
                openapi_path = openapi_path.replace(f"<int:{kwarg}>", "{" + kwarg + "}")
            methods = tuple(sorted(m.upper() for m in _openapi_paths()[openapi_path]))
        else:
            methods = ("GET", "POST")
        routes.append(Route(name, pattern, kwargs, is_api, methods))
    return routes


def test_every_object_route_is_known() -> None:
    unknown = [
        r for r in object_routes() if not set(r.kwargs) <= CITY_WIDE_FOR_STAFF | PROJECT_SCOPED | OWNER_ONLY
    ]
    assert unknown == [], "routes with an id parameter the isolation test does not cover"
    api_writes = {
        (m, r.pattern.removeprefix("api/v1/"))
        for r in object_routes()
        if r.is_api
        for m in r.methods
        if m != "GET"
    }
    assert api_writes == set(API_BODIES), "give every API write route a valid body in API_BODIES"


def _domain_snapshot() -> str:
    digest = hashlib.sha256()
    for app_label in ("registry", "accounts", "notify", "reference"):
        for model in apps.get_app_config(app_label).get_models():
            rows = list(model._default_manager.order_by("pk").values())
            digest.update(json.dumps(rows, default=str, sort_keys=True).encode())
    return digest.hexdigest()


@pytest.fixture
def world(city, make_project, make_enterprise, make_person, market_officer):
    """District A (玄武) staff and enterprise X; their neighbours' objects in district B (鼓楼)."""
    x = make_enterprise(name="甲方建设有限公司")
    y = make_enterprise(name="乙方建设有限公司")
    project_b = make_project(region="320106", name="鼓楼区乙方住宅项目")
    project_a = make_project(region="320102", name="玄武区甲方住宅项目")
    person_y = make_person(name="王乙", employer=y.organization)
    participant_b = services.add_participant(
        actor=market_officer,
        project=project_b,
        organization=y.organization,
        role="contractor",
        key_person=person_y,
        key_person_role="project_manager",
    )
    services.add_participant(
        actor=market_officer, project=project_a, organization=x.organization, role="contractor"
    )
    qualification_y = services.add_qualification(
        actor=market_officer,
        enterprise=y,
        category="general",
        specialty="建筑工程",
        grade="一级",
        certificate_no="D232000001",
        valid_until=__import__("datetime").date(2030, 1, 1),
    )
    certificate_y = services.add_certificate(
        actor=market_officer,
        person=person_y,
        kind="constructor",
        number="苏132000001",
        valid_until=__import__("datetime").date(2030, 1, 1),
    )
    scan_y = services.attach_qualification_scan(
        actor=market_officer,
        qualification=qualification_y,
        file=SimpleUploadedFile("资质.pdf", b"%PDF-1.7\n%scan\n", content_type="application/pdf"),
    )
    staff_a = city.user("xuanwu", "district:320102", "district_staff")
    staff_b = city.user("gulou_b", "district:320106", "district_staff")
    enterprise_user_x = city.user("x_user", "district:320102", "applicant")
    enterprise_user_x.organization = x.organization
    enterprise_user_x.save()
    token_b, _ = mint_personal_token(mfa_verified=True, user=staff_b, name="b")
    return {
        "staff_a": staff_a,
        "enterprise_user_x": enterprise_user_x,
        "staff_b": staff_b,
        "ids": {
            "project_id": project_b.pk,
            "participant_id": participant_b.pk,
            "enterprise_id": y.pk,
            "qualification_id": qualification_y.pk,
            "person_id": person_y.pk,
            "certificate_id": certificate_y.pk,
            "token_id": token_b.pk,
            "attachment_id": scan_y.pk,
        },
        "project_a": project_a,
        "project_b": project_b,
    }


def _outsider(world: dict[str, Any], kwargs: tuple[str, ...]) -> Any:
    if set(kwargs) & CITY_WIDE_FOR_STAFF:
        return world["enterprise_user_x"]
    return world["staff_a"]


@pytest.mark.django_db
def test_out_of_scope_object_is_404_unchanged_and_audited(world: dict[str, Any]) -> None:
    checked = 0
    for route in object_routes():
        user = _outsider(world, route.kwargs)
        client = Client()
        client.force_login(user)
        path = "/" + route.pattern
        for kwarg in route.kwargs:
            path = path.replace(f"<int:{kwarg}>", str(world["ids"][kwarg]))
        answered_404 = False
        for method in route.methods:
            before_snapshot = _domain_snapshot()
            before_denials = AuditEvent.objects.filter(action="access.denied").count()
            body = API_BODIES.get((method, route.pattern.removeprefix("api/v1/")), {})
            if route.is_api:
                response = client.generic(method, path, json.dumps(body), content_type="application/json")
            else:
                response = client.generic(method, path, "")
            where = f"{method} {path} ({route.name}) as {user.username}"
            assert _domain_snapshot() == before_snapshot, f"{where} changed domain rows"
            denials = AuditEvent.objects.filter(action="access.denied").order_by("-id")
            if response.status_code == 405 and not route.is_api:  # a POST-only page asked with GET
                assert denials.count() == before_denials, where
                continue
            assert response.status_code == 404, f"{where}: {response.status_code}"
            assert denials.count() == before_denials + 1, f"{where}: expected one denial record"
            assert denials.first().actor_id == user.pk
            answered_404 = True
            checked += 1
        assert answered_404, f"{route.name} never answered 404"
    assert checked >= 20


@pytest.mark.django_db
def test_missing_object_is_the_same_404_without_denial(world: dict[str, Any]) -> None:
    client = Client()
    client.force_login(world["staff_a"])
    before = AuditEvent.objects.filter(action="access.denied").count()
    missing = client.get("/api/v1/projects/999999")
    hidden = client.get(f"/api/v1/projects/{world['project_b'].pk}")
    assert missing.status_code == hidden.status_code == 404
    assert missing.json() == hidden.json()
    assert AuditEvent.objects.filter(action="access.denied").count() == before + 1


@pytest.mark.django_db
def test_lists_search_and_counts_never_include_other_districts(world: dict[str, Any]) -> None:
    client = Client()
    client.force_login(world["staff_a"])
    for query in ("", "?q=住宅", "?q=鼓楼", "?q=乙方", "?region=320106", "?page_size=200"):
        data = client.get("/api/v1/projects" + query).json()
        assert all(item["region_code"] == "320102" for item in data["items"]), query
        assert data["count"] == len(data["items"])
    names = [i["name"] for i in client.get("/api/v1/projects?q=住宅").json()["items"]]
    assert names == ["玄武区甲方住宅项目"]
    page = client.get("/registry/projects/?q=住宅").content.decode()
    assert "玄武区甲方住宅项目" in page and "鼓楼区乙方住宅项目" not in page and "共 1 条" in page
    # An enterprise user sees only projects it takes part in, enterprises and people of its own.
    client.force_login(world["enterprise_user_x"])
    data = client.get("/api/v1/projects?q=住宅").json()
    assert [i["name"] for i in data["items"]] == ["玄武区甲方住宅项目"] and data["count"] == 1
    enterprises = client.get("/api/v1/enterprises?q=建设").json()
    assert [e["name"] for e in enterprises["items"]] == ["甲方建设有限公司"]
    assert client.get("/api/v1/persons?q=王乙").json()["count"] == 0
    page = client.get("/registry/persons/?q=王乙").content.decode()
    assert f"/registry/persons/{world['ids']['person_id']}/" not in page and "共 0 条" in page


@pytest.mark.django_db
def test_only_the_public_allow_list_answers_anonymous_visitors() -> None:
    """Every route without an object id, asked anonymously, is refused or sent to login — except the
    allow-list, which answers 200."""
    client = Client()
    checked, public = 0, set()
    for name, pattern, entry in _walk(get_resolver().url_patterns):
        if entry.pattern.converters or pattern.startswith(("admin/", "static/")):
            continue
        response = client.get("/" + pattern)
        if pattern in PUBLIC_ALLOW_LIST:
            assert response.status_code == 200, f"{pattern} should be public"
            public.add(pattern)
            continue
        login_redirect = response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert login_redirect or response.status_code in (401, 403, 404, 405), f"{pattern} ({name}) is open"
        checked += 1
    assert checked >= 20 and public == PUBLIC_ALLOW_LIST
