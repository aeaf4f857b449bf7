"""Stored XSS is escaped on every page that shows user text; state changes need the CSRF token."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter

from zhujian.notify.services import notify
from zhujian.registry import services
from zhujian.registry.models import Enterprise, Project

PAYLOADS = ['<script>alert("x")</script>', '"><img src=x onerror=alert(1)>', "<svg/onload=alert(2)>"]
NAME = "".join(PAYLOADS)


@pytest.fixture
def poisoned(city, market_officer, make_enterprise, make_person):
    """Every user-editable text field the UI shows, filled with markup."""
    ent = make_enterprise(name="毒" + NAME[:150], legal_representative=NAME[:60], address=NAME)
    project = services.create_project(
        actor=market_officer,
        code="2405-320106-04-01-777777",
        name=NAME[:200],
        region_code="320106",
        address=NAME,
    )
    person = make_person(name="张" + PAYLOADS[2][:40], employer=ent.organization)
    services.add_participant(
        actor=market_officer,
        project=project,
        organization=ent.organization,
        role="contractor",
        key_person=person,
        key_person_role="project_manager",
    )
    notify(recipient=market_officer, title=NAME[:200], body=NAME, link="javascript:alert(1)")
    market_officer.full_name = PAYLOADS[2]
    market_officer.save()
    return {"project_id": project.pk, "enterprise_id": ent.pk, "person_id": person.pk}


def _ui_get_routes(ids: dict[str, int]) -> list[str]:
    paths: list[str] = []

    def walk(patterns: list, prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                path = prefix + str(entry.pattern)
                if path.startswith(("api/", "admin/")) or "export" in path:
                    continue
                kwargs = [k for k, c in entry.pattern.converters.items() if isinstance(c, IntConverter)]
                if any(k not in ids for k in kwargs) or "<" in re.sub(r"<int:\w+>", "", path):
                    continue
                for kwarg in kwargs:
                    path = path.replace(f"<int:{kwarg}>", str(ids[kwarg]))
                paths.append("/" + path)

    walk(get_resolver().url_patterns, "")
    return paths


@pytest.mark.django_db
def test_user_text_is_escaped_on_every_page(poisoned, market_officer) -> None:
    client = Client()
    client.force_login(market_officer)
    searches = ["/registry/projects/?q=住宅", "/registry/enterprises/?q=毒", "/registry/persons/?q=张"]
    pages = [*_ui_get_routes(poisoned), *searches]
    shown = 0
    for path in pages:
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        for payload in PAYLOADS:
            assert payload not in html, f"{path} shows raw markup {payload!r}"
        assert "javascript:alert" not in html, path
        shown += "&lt;script&gt;" in html or "&lt;svg/onload" in html
    assert shown >= 6, "the poisoned text should appear (escaped) on the list and detail pages"


@pytest.mark.django_db
def test_forms_refuse_a_post_without_the_csrf_token(city, market_officer) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(market_officer)
    before = Project.objects.count()
    response = client.post(
        "/registry/projects/new/",
        {
            "code": "2405-320106-04-01-000001",
            "name": "x",
            "region_code": "320106",
            "kind": "building",
            "nature": "new",
        },
    )
    assert response.status_code == 403 and Project.objects.count() == before
    api = client.post(
        "/api/v1/enterprises",
        {"uscc": "x", "name": "y", "roles": ["builder"]},
        content_type="application/json",
    )
    assert api.status_code == 403 and not Enterprise.objects.filter(name="y").exists()
    assert api.json()["error"]["code"] == "permission_denied"
