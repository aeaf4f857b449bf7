from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from zhujian.audit import chain, triggers
from zhujian.audit import services as audit
from zhujian.audit.models import AuditEvent

from .helpers import table

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(user):
    made = [audit.record(action=f"test.tamper.step{i}", actor=user, detail={"i": i}) for i in range(5)]
    assert all(made)
    return made


def _verify_fails(match: str) -> None:
    with pytest.raises(CommandError, match=match):
        call_command("audit", "verify", stdout=io.StringIO())


def test_verify_command_reports_an_intact_chain(events):
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert out.getvalue().strip() == f"审计链完整：已校验 {AuditEvent.objects.count()} 条"


def test_an_edited_row_is_named(events):
    victim = events[2]
    # What someone with database access would do: lift the guard, rewrite the record.
    with audit.maintenance(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table()} SET outcome = 'denied' WHERE id = %s", [victim.pk])
    result = audit.verify()
    assert (result.ok, result.first_broken_id) == (False, victim.pk)
    assert "修改" in result.reason
    _verify_fails(f"记录 #{victim.pk}：")


def test_an_edited_row_with_a_recomputed_hash_breaks_the_next_link(events):
    victim, successor = events[1], events[2]
    forged = dict(AuditEvent.objects.filter(pk=victim.pk).values()[0], detail={"i": 99})
    with audit.maintenance():
        AuditEvent.objects.filter(pk=victim.pk).update(
            detail={"i": 99}, chain_hash=chain.chain_hash(victim.prev_hash, forged)
        )
    result = audit.verify()
    assert (result.ok, result.first_broken_id) == (False, successor.pk)
    _verify_fails(f"记录 #{successor.pk}：")


def test_a_row_changed_after_dropping_the_trigger_is_named(events):
    victim = events[3]
    triggers.uninstall(connection, table=AuditEvent._meta.db_table)  # rolled back with the test
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table()} SET actor_label = 'someone_else' WHERE id = %s", [victim.pk])
    _verify_fails(f"记录 #{victim.pk}：")


def test_a_deleted_row_is_noticed_at_its_successor(events):
    with audit.maintenance(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table()} WHERE id = %s", [events[1].pk])
    _verify_fails(f"记录 #{events[2].pk}：")


def test_a_deleted_beginning_is_noticed_without_an_anchor(events):
    first = AuditEvent.objects.order_by("id").first()
    assert first is not None
    with audit.maintenance():
        AuditEvent.objects.filter(pk=first.pk).delete()
    result = audit.verify()
    assert not result.ok and result.checked == 0
    assert result.first_broken_id == AuditEvent.objects.order_by("id").values_list("id", flat=True).first()


def test_verify_reports_missing_triggers_even_on_an_intact_chain(events):
    triggers.uninstall(connection, table=AuditEvent._meta.db_table)
    _verify_fails("触发器")
