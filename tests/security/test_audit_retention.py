"""Issue 3, audit log retention: at least 184 days (网络安全法 Art. 23, in force 2026-01-01), a
daily purge through the owner connection, and on PostgreSQL an application role that does not own
the audit table and so can neither disable its trigger nor rewrite, delete or truncate a row."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from zhujian.audit import retention, tasks
from zhujian.audit import services as audit
from zhujian.audit.models import ANCHOR_ACTION, AuditEvent
from zhujian.core import jobs

pytestmark = pytest.mark.django_db


def test_start_up_refuses_less_than_six_months(tmp_path):
    env = {**os.environ, "ZHUJIAN_AUDIT_RETENTION_DAYS": "183", "ZHUJIAN_DATA_DIR": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    code = "import os; os.environ['DJANGO_SETTINGS_MODULE']='zhujian.settings'; import django; django.setup()"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "ZHUJIAN_AUDIT_RETENTION_DAYS=183" in result.stderr and "不少于六个月" in result.stderr


def test_default_is_a_year_and_the_job_is_daily(settings):
    assert settings.ZHUJIAN_AUDIT_RETENTION_DAYS == 365
    job = next(j for j in jobs.registered() if j.name.endswith("purge_audit_log"))
    assert job.every == timedelta(days=1)
    assert retention.owner_alias() == "default"  # no ZHUJIAN_OWNER_DATABASE_URL: default owns


def test_purge_job_removes_only_records_past_retention_and_anchors(settings):
    settings.ZHUJIAN_AUDIT_RETENTION_DAYS = 200
    old = [audit.record(action="test.old", detail={"i": i}) for i in range(3)]
    new = audit.record(action="test.new")
    with audit.maintenance():  # back-date the old ones and re-chain (set-up only)
        AuditEvent.objects.filter(pk__in=[e.pk for e in old]).update(
            occurred_at=timezone.now() - timedelta(days=201)
        )
    _rechain()
    with jobs.acting_as_system():
        deleted = tasks.purge_audit_log.call()
    assert deleted == 3
    assert not AuditEvent.objects.filter(action="test.old").exists()
    assert AuditEvent.objects.filter(pk=new.pk).exists()
    anchor = AuditEvent.objects.filter(action=ANCHOR_ACTION).get()
    assert anchor.count == 3 and anchor.actor_label == "system"
    assert audit.verify().ok


def _rechain() -> None:
    from zhujian.audit import chain

    prev = chain.GENESIS
    with audit.maintenance():
        for row in AuditEvent.objects.order_by("id").values():
            digest = chain.chain_hash(prev, row)
            AuditEvent.objects.filter(pk=row["id"]).update(prev_hash=prev, chain_hash=digest)
            prev = digest


# ---------------------------------------------------------------------------------------------
# PostgreSQL: the application role (docs/deployment.md, "Database roles")


@pytest.fixture
def app_role(transactional_db):
    """A login role like the one docs/deployment.md creates, with its grants, in the test database."""
    import psycopg

    name = f"zj_app_{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{name}" LOGIN')
        cursor.execute(f'GRANT CONNECT ON DATABASE "{db}" TO "{name}"')
        cursor.execute(f'GRANT USAGE ON SCHEMA public TO "{name}"')
        cursor.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{name}"')
        cursor.execute(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{name}"')
        cursor.execute(f'REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditevent FROM "{name}"')
    params = connection.get_connection_params()
    conn = psycopg.connect(
        host=params.get("host") or "127.0.0.1", port=params.get("port") or 5432, dbname=db, user=name
    )
    try:
        yield conn
    finally:
        conn.close()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY "{name}"')
            cursor.execute(f'DROP ROLE "{name}"')


def _refused(conn, sql: str, *, maintenance: bool = False) -> str:
    import psycopg

    with pytest.raises(psycopg.Error) as exc, conn.transaction():
        if maintenance:
            conn.execute("SET LOCAL zhujian.audit_maintenance = 'on'")
        conn.execute(sql)
    return str(exc.value)


@pytest.mark.postgres
def test_application_role_cannot_touch_the_audit_trail(app_role):
    event = audit.record(action="test.kept")
    assert event is not None
    conn = app_role
    # It can do its job: read and append (through the chain) are granted.
    assert conn.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0] >= 1
    assert "must be owner" in _refused(conn, "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL")
    assert "must be owner" in _refused(
        conn, "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only"
    )
    for sql in (
        f"UPDATE audit_auditevent SET action = 'x.y' WHERE id = {event.pk}",
        f"DELETE FROM audit_auditevent WHERE id = {event.pk}",
        "TRUNCATE audit_auditevent",
    ):
        assert "permission denied" in _refused(conn, sql)
        assert "permission denied" in _refused(conn, sql, maintenance=True)
    # Even if someone granted UPDATE/DELETE by mistake, the trigger still wants the owner.
    with connection.cursor() as cursor:
        cursor.execute(f'GRANT UPDATE, DELETE ON audit_auditevent TO "{conn.info.user}"')
    message = _refused(conn, f"DELETE FROM audit_auditevent WHERE id = {event.pk}", maintenance=True)
    assert "append-only" in message
    with connection.cursor() as cursor:
        cursor.execute(f'REVOKE UPDATE, DELETE ON audit_auditevent FROM "{conn.info.user}"')
    assert AuditEvent.objects.filter(pk=event.pk, action="test.kept").exists()
    # The owner (the test connection) purges under maintenance.
    deleted = audit.purge_before(cutoff=timezone.now() + timedelta(seconds=1), actor=None)
    assert deleted >= 1 and not AuditEvent.objects.filter(pk=event.pk).exists()
    assert audit.verify().ok
