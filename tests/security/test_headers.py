"""Security headers on every kind of answer; check --deploy clean in production mode; API docs
page only after login (issue 3, headers and transport)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import include, path

EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
    "object-src": "'none'",
}


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


urlpatterns = [path("boom/", _boom), path("", include("zhujian.urls"))]


def assert_security_headers(response: Any) -> None:
    policy = {
        part.strip().split(" ", 1)[0]: part.strip().split(" ", 1)[1]
        for part in response["Content-Security-Policy"].split(";")
        if part.strip()
    }
    assert policy == EXPECTED_CSP
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_headers_on_html_json_404_and_500(city: Any) -> None:
    user = city.user("headers1", "建筑市场监管处", "market_officer")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    html = client.get("/registry/projects/")
    assert html.status_code == 200 and html["Content-Type"].startswith("text/html")
    assert_security_headers(html)
    api = client.get("/api/v1/projects")
    assert api.status_code == 200 and api["Content-Type"].startswith("application/json")
    assert_security_headers(api)
    not_found = client.get("/no-such-page/")
    assert not_found.status_code == 404
    assert_security_headers(not_found)
    api_not_found = client.get("/api/v1/projects/999999")
    assert api_not_found.status_code == 404
    assert_security_headers(api_not_found)
    login = Client().get("/accounts/login/")
    assert_security_headers(login)


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_headers_on_500() -> None:
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    assert_security_headers(response)


@pytest.mark.django_db
def test_no_inline_script_or_style_in_pages(city: Any) -> None:
    user = city.user("headers2", "建筑市场监管处", "market_officer")
    client = Client()
    client.force_login(user)
    for url in (
        "/",
        "/registry/projects/",
        "/registry/enterprises/",
        "/registry/persons/",
        "/accounts/login/",
    ):
        body = client.get(url).content.decode()
        for tag in body.split("<script")[1:]:
            head = tag.split(">", 1)[0]
            assert "src=" in head, f"inline script on {url}"
        assert " style=" not in body and " hx-on" not in body and " onclick=" not in body, url


@pytest.mark.django_db
def test_api_docs_page_needs_login_openapi_stays_public(city: Any) -> None:
    anonymous = Client()
    docs = anonymous.get("/api/v1/docs")
    assert docs.status_code == 302 and "/accounts/login/" in docs["Location"]
    assert anonymous.get("/api/v1/openapi.json").status_code == 200
    client = Client()
    client.force_login(city.user("headers3", "建筑市场监管处", "market_officer"))
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    text = page.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in text and "cdn" not in text.lower()
    assert_security_headers(page)


def _production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHUJIAN_") and k != "DATABASE_URL"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "zhujian.settings",
            "ZHUJIAN_MODE": "production",
            "ZHUJIAN_SECRET_KEY": secrets.token_urlsafe(60)[:60],
            "ZHUJIAN_FIELD_KEYS": "k1:" + secrets.token_hex(16),
            "ZHUJIAN_INDEX_KEY": secrets.token_hex(32),
            "ZHUJIAN_ALLOWED_HOSTS": "example.gov.cn",
            "ZHUJIAN_DATA_DIR": str(tmp_path),
        }
    )
    env.update(extra)
    return env


def test_check_deploy_is_clean_in_production_mode(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


SHOW = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS]))"
)


def test_ssl_redirect_and_hsts_by_mode(tmp_path: Path) -> None:
    def show(env: dict[str, str]) -> str:
        result = subprocess.run(
            [sys.executable, "-c", SHOW], env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert show(_production_env(tmp_path)) == "[true, 31536000, true]"
    assert show(_production_env(tmp_path, ZHUJIAN_SSL_REDIRECT="0")) == "[false, 31536000, true]"
    demo = {k: v for k, v in os.environ.items() if not k.startswith("ZHUJIAN_")}
    demo.update({"DJANGO_SETTINGS_MODULE": "zhujian.settings", "ZHUJIAN_DATA_DIR": str(tmp_path / "demo")})
    assert show(demo) == "[false, 0, true]"
