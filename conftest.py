"""Test harness shared by every app's tests and tests/ (DESIGN.md, Tests and benchmarks).

The README's test command runs on SQLite with no services; tests that need PostgreSQL (or later a
real MQTT broker or a browser) are skipped with a printed reason. CI sets DATABASE_URL and fails
on any such skip (.ci/run).
"""

from __future__ import annotations

import os
import tempfile

# Keep test runs away from the developer's demo data and secrets.
os.environ.setdefault("ZHUJIAN_DATA_DIR", tempfile.mkdtemp(prefix="zhujian-test-"))

import pytest

pytest_plugins = ["zhujian.audit.testing", "zhujian.testing"]

SERVICE_SKIP_PREFIX = "needs service:"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason=f"{SERVICE_SKIP_PREFIX} PostgreSQL (set DATABASE_URL=postgres://…)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings: pytest.FixtureRequest) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}  # type: ignore[attr-defined]
    from zhujian.reference import workdays

    workdays.clear_cache()
