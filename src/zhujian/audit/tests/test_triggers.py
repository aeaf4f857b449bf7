from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction

from zhujian.audit import services as audit
from zhujian.audit import triggers
from zhujian.audit.management.commands import flush as flush_command
from zhujian.audit.models import AuditEvent

from .helpers import postgres_only, table

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(user):
    event = audit.record(action="test.trigger", actor=user, detail={"v": 1})
    assert event is not None
    return event


def test_triggers_are_installed():
    table_name = AuditEvent._meta.db_table
    assert triggers.installed(connection, table=table_name) == triggers.expected(connection.vendor)


def test_orm_update_and_delete_are_refused(event):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="test.forged")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.trigger"


def test_raw_sql_update_and_delete_are_refused(event):
    with connection.cursor() as cursor:
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            cursor.execute(f"UPDATE {table()} SET outcome = 'denied' WHERE id = %s", [event.pk])
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            cursor.execute(f"DELETE FROM {table()}")
    assert AuditEvent.objects.filter(pk=event.pk, outcome="success").exists()


@postgres_only
def test_truncate_is_refused(event):
    refused = pytest.raises(IntegrityError, match="append-only")
    with connection.cursor() as cursor, refused, transaction.atomic():
        cursor.execute(f"TRUNCATE {table()}")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_maintenance_allows_changes_only_inside_its_block(event):
    with audit.maintenance():
        AuditEvent.objects.filter(pk=event.pk).update(detail={"v": 2})
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(detail={"v": 3})
    assert AuditEvent.objects.get(pk=event.pk).detail == {"v": 2}


def test_maintenance_is_undone_when_its_block_fails(event):
    with pytest.raises(RuntimeError), audit.maintenance():
        raise RuntimeError
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()


@postgres_only
def test_flag_alone_does_not_let_a_non_owner_role_in(event):
    refused = pytest.raises(IntegrityError, match="append-only")
    with connection.cursor() as cursor, refused, transaction.atomic():
        cursor.execute("CREATE ROLE zhujian_audit_test_app NOLOGIN")
        cursor.execute(f"GRANT SELECT, UPDATE, DELETE ON {table()} TO zhujian_audit_test_app")
        cursor.execute("SET LOCAL ROLE zhujian_audit_test_app")
        cursor.execute("SELECT set_config('zhujian.audit_maintenance', 'on', true)")
        cursor.execute(f"DELETE FROM {table()} WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_flush_outside_tests_refuses_to_empty_the_audit_table(event, monkeypatch):
    monkeypatch.setattr(flush_command, "_in_test_environment", lambda: False)
    with pytest.raises((CommandError, DatabaseError)):
        call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_transactional_teardown_can_flush_the_audit_table():
    # The proof is this test's own teardown: flush must empty the table despite the triggers.
    audit.record(action="test.teardown")
    assert AuditEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_after_a_flush_the_triggers_still_guard_the_table():
    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
    event = audit.record(action="test.after_flush")
    assert event is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
