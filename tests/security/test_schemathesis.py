"""Property-based calls against the committed OpenAPI document: no input ever answers 500.

Schemathesis generates valid and invalid requests for every operation of docs/openapi.json and
sends them to the WSGI application in-process, as a district user with an API token. The number
of examples is bounded so the run stays short (CI runs this file with the rest of the suite).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from zhujian.accounts.services import mint_personal_token

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
schema = schemathesis.openapi.from_path(OPENAPI)
schema.app = get_wsgi_application()


@pytest.fixture
def bearer(city, make_project, make_enterprise, make_person):
    make_project(region="320106", name="鼓楼区测试住宅项目")
    make_enterprise(name="测试建设有限公司")
    user = city.user("fuzz_user", "district:320106", "district_staff")
    _, raw = mint_personal_token(mfa_verified=True, user=user, name="schemathesis")
    return {"Authorization": f"Bearer {raw}"}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_no_input_answers_500(case, bearer, settings_override) -> None:
    response = case.call(headers=bearer)
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code}"


@pytest.fixture
def settings_override(settings):
    settings.ALLOWED_HOSTS = ["*"]  # the in-process client's host name
    settings.SECURE_SSL_REDIRECT = False
    # Like Django's test client: the WSGI handler must not close the test's database connection
    # (inside the test transaction, PostgreSQL's would be closed at the end of every request).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
