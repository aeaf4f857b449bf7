"""pytest plugin for the audit app: ``pytest_plugins = ["zhujian.audit.testing"]`` in the root conftest.

Teardown of transactional tests needs nothing from here: the app's ``flush`` command override
lifts the append-only triggers automatically in a test environment. What this plugin adds:

* ``audit_pending_isolation`` (autouse): each test starts with an empty queue of deferred
  denials/failures and leaves none behind, so a test that never flushes cannot leak records into
  the next one (pytest runs every test in one thread and one context).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def audit_pending_isolation() -> Iterator[None]:
    # Imported here: with ``-p zhujian.audit.testing`` this module loads before Django is set up.
    from zhujian.audit import services

    token = services._pending.set([])
    try:
        yield
    finally:
        services._pending.reset(token)
