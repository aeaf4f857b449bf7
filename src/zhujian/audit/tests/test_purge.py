from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from zhujian.audit import chain
from zhujian.audit import services as audit
from zhujian.audit.models import ANCHOR_ACTION, AuditAnchor, AuditEvent

from .helpers import table

pytestmark = pytest.mark.django_db


def _age(event: AuditEvent, days: int) -> None:
    with audit.maintenance():
        AuditEvent.objects.filter(pk=event.pk).update(occurred_at=event.occurred_at - timedelta(days=days))


def _rehash_all() -> None:
    """Re-chain after back-dating, as if the records had been written long ago (set-up only)."""
    prev = chain.GENESIS
    with audit.maintenance():
        for row in AuditEvent.objects.order_by("id").values():
            digest = chain.chain_hash(prev, row)
            AuditEvent.objects.filter(pk=row["id"]).update(prev_hash=prev, chain_hash=digest)
            prev = digest


def _record(action: str, user, i: int) -> AuditEvent:
    event = audit.record(action=action, actor=user, detail={"i": i})
    assert event is not None
    return event


@pytest.fixture
def history(user):
    old = [_record("test.old", user, i) for i in range(4)]
    new = [_record("test.new", user, i) for i in range(3)]
    for event in old:
        _age(event, 400)
    _rehash_all()
    assert audit.verify().ok
    return old, new


def test_purge_leaves_an_anchor_and_the_chain_still_verifies(history, user):
    old, _new = history
    total = AuditEvent.objects.count()
    older_than_cutoff = AuditEvent.objects.filter(pk__lte=old[-1].pk).count()
    last_purged = AuditEvent.objects.get(pk=old[-1].pk)

    deleted = audit.purge_before(cutoff=timezone.now() - timedelta(days=365), actor=user)

    assert deleted == older_than_cutoff
    assert not AuditEvent.objects.filter(pk__lte=old[-1].pk).exists()
    anchor = AuditAnchor.objects.get()
    assert anchor.action == ANCHOR_ACTION and anchor.count == deleted and anchor.actor_id == user.pk
    assert (anchor.purged_through_id, anchor.purged_through_hash) == (last_purged.pk, last_purged.chain_hash)
    assert AuditEvent.objects.order_by("id").values_list("prev_hash", flat=True)[0] == last_purged.chain_hash
    result = audit.verify()
    assert result.ok and result.checked == total - deleted + 1


def test_purge_with_nothing_old_enough_does_nothing(history, user):
    assert audit.purge_before(cutoff=timezone.now() - timedelta(days=4000), actor=user) == 0
    assert not AuditAnchor.objects.exists()


def test_purging_everything_leaves_only_the_anchor(history, user):
    audit.purge_before(cutoff=timezone.now() + timedelta(days=1), actor=user)
    assert list(AuditEvent.objects.values_list("action", flat=True)) == [ANCHOR_ACTION]
    assert audit.verify().ok
    audit.record(action="test.after", actor=user)
    assert audit.verify().ok


def test_a_second_purge_uses_the_latest_anchor(history, user):
    audit.purge_before(cutoff=timezone.now() - timedelta(days=365), actor=user)
    audit.purge_before(cutoff=timezone.now() + timedelta(days=1), actor=user)
    assert AuditAnchor.objects.count() == 1
    assert audit.verify().ok


def test_deleting_after_a_purge_is_still_noticed(history, user):
    audit.purge_before(cutoff=timezone.now() - timedelta(days=365), actor=user)
    first = AuditEvent.objects.order_by("id").values_list("id", flat=True)[0]
    with audit.maintenance(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table()} WHERE id = %s", [first])
    result = audit.verify()
    assert not result.ok and result.checked == 0


def test_purge_refuses_a_broken_chain(history, user):
    _, new = history
    with audit.maintenance():
        AuditEvent.objects.filter(pk=new[0].pk).update(action="test.forged")
    with pytest.raises(audit.ChainBroken):
        audit.purge_before(cutoff=timezone.now() - timedelta(days=365), actor=user)
    assert AuditEvent.objects.filter(action="test.old").count() == 4
