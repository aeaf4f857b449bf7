from __future__ import annotations

import pytest

from zhujian.audit.testing import audit_pending_isolation  # noqa: F401 - autouse for these tests too


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="auditor1", password="x-long-password-1")
