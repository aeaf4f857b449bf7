from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from zhujian.audit.models import AuditEvent


def postgres_only(test: Any) -> Any:
    """The project's ``postgres`` marker plus a skip that says why, for tests needing PostgreSQL."""
    test = pytest.mark.postgres(test)
    return pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason=f"needs PostgreSQL: set DATABASE_URL=postgres://… (this run uses {connection.vendor})",
    )(test)


def last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def table() -> str:
    return connection.ops.quote_name(AuditEvent._meta.db_table)
