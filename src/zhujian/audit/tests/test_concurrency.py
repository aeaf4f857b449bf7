from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from zhujian.audit import services as audit
from zhujian.audit.models import AuditEvent

from .helpers import postgres_only

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8
PER_THREAD = 25


def _in_thread(target, *args):
    errors: list[BaseException] = []

    def run():
        try:
            target(*args)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


@postgres_only
def test_concurrent_appends_do_not_fork_the_chain():
    barrier = threading.Barrier(THREADS)

    def append(n):
        barrier.wait()
        for i in range(PER_THREAD):
            if i % 2:
                audit.record(action="test.concurrent", detail={"t": n, "i": i})
            else:
                with transaction.atomic():  # appends inside callers' transactions too
                    audit.record(action="test.concurrent", detail={"t": n, "i": i})
                    time.sleep(0.001)

    started = [_in_thread(append, n) for n in range(THREADS)]
    for thread, _ in started:
        thread.join(timeout=120)
    assert [e for _, errors in started for e in errors] == []

    assert AuditEvent.objects.filter(action="test.concurrent").count() == THREADS * PER_THREAD
    prev_hashes = list(AuditEvent.objects.values_list("prev_hash", flat=True))
    assert len(prev_hashes) == len(set(prev_hashes))
    result = audit.verify()
    assert result.ok, result
    assert result.checked == AuditEvent.objects.count()


@postgres_only
def test_an_open_transaction_holds_back_other_appends_until_it_commits():
    recorded, release, order = threading.Event(), threading.Event(), []

    def long_writer():
        with transaction.atomic():
            audit.record(action="test.lock.first")
            recorded.set()
            release.wait(timeout=30)
            order.append("first-commit")

    def second_writer():
        audit.record(action="test.lock.second")
        order.append("second-done")

    first, first_errors = _in_thread(long_writer)
    assert recorded.wait(timeout=30)
    second, second_errors = _in_thread(second_writer)
    time.sleep(0.5)
    assert order == []  # the second append waits on the advisory lock
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert first_errors == second_errors == []
    assert order == ["first-commit", "second-done"]
    first_event = AuditEvent.objects.get(action="test.lock.first")
    assert AuditEvent.objects.get(action="test.lock.second").prev_hash == first_event.chain_hash
    assert audit.verify().ok
