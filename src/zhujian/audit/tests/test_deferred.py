from __future__ import annotations

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory

from zhujian.audit import services as audit
from zhujian.audit.middleware import AuditFlushMiddleware
from zhujian.audit.models import AuditEvent
from zhujian.core import request_context
from zhujian.core.errors import PermissionDenied

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def test_denial_inside_a_rolled_back_transaction_survives_after_flush(user):
    ctx = request_context.RequestContext(ip="192.0.2.1", user=user, channel="api")
    with request_context.bind(ctx), pytest.raises(PermissionDenied), transaction.atomic():
        audit.record(action="registry.project.update", outcome="success")  # rolls back with the work
        assert audit.record(action="access.denied", outcome="denied", object_id="42") is None
        raise PermissionDenied()
    assert not AuditEvent.objects.filter(action__in=["access.denied", "registry.project.update"]).exists()
    assert audit.pending_count() == 1

    assert audit.flush_pending() == 1
    denial = AuditEvent.objects.get(action="access.denied")
    # Written later, but with the context it was recorded in.
    assert (denial.outcome, denial.actor_id, denial.ip, denial.request_id) == (
        "denied",
        user.pk,
        "192.0.2.1",
        ctx.request_id,
    )
    assert not AuditEvent.objects.filter(action="registry.project.update").exists()
    assert audit.pending_count() == 0
    assert audit.verify().ok


def test_denial_outside_a_transaction_is_written_at_once():
    event = audit.record(action="access.denied", outcome="denied")
    assert event is not None and event.pk is not None
    assert audit.pending_count() == 0


def test_flush_inside_a_transaction_waits_for_a_later_flush():
    with transaction.atomic():
        audit.record(action="accounts.login", outcome="failed", actor_label="mallory")
        assert audit.flush_pending() == 0  # would be rolled back with the transaction
    assert audit.pending_count() == 1
    assert audit.flush_pending() == 1
    assert AuditEvent.objects.filter(action="accounts.login", actor_label="mallory").count() == 1


def test_deferred_flush_writes_after_the_block_even_when_it_raises():
    with pytest.raises(Boom), audit.deferred_flush(), transaction.atomic():
        audit.record(action="test.job.failed", outcome="failed")
        raise Boom
    assert AuditEvent.objects.filter(action="test.job.failed").count() == 1
    assert audit.pending_count() == 0


def test_deferred_flush_left_inside_a_transaction_hands_over_to_the_outer_queue():
    with pytest.raises(Boom), transaction.atomic():
        with audit.deferred_flush():
            audit.record(action="test.nested.denied", outcome="denied")
        assert audit.pending_count() == 1  # not written inside the transaction that rolls back
        raise Boom
    assert audit.flush_pending() == 1
    assert AuditEvent.objects.filter(action="test.nested.denied").count() == 1


def test_middleware_flushes_after_the_view(user):
    def view(request):
        with transaction.atomic():
            audit.record(action="access.denied", outcome="denied", object_type="registry.project")
            transaction.set_rollback(True)
        return HttpResponse(status=404)

    response = AuditFlushMiddleware(view)(RequestFactory().get("/projects/9/"))
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="access.denied", object_type="registry.project").count() == 1
    assert audit.pending_count() == 0
