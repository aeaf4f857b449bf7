from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction

from zhujian.audit import chain
from zhujian.audit import services as audit
from zhujian.audit.models import AuditEvent
from zhujian.core import request_context

pytestmark = pytest.mark.django_db


def test_chain_grows_and_verifies(user):
    before = audit.verify()
    assert before.ok, before
    first = audit.record(action="test.chain.first", actor=user)
    second = audit.record(action="test.chain.second", actor=user, detail={"n": 2})
    assert first is not None and second is not None
    assert second.prev_hash == first.chain_hash
    assert second.chain_hash == chain.chain_hash(second.prev_hash, second.__dict__)
    result = audit.verify()
    assert result.ok and result.checked == before.checked + 2


def test_first_record_follows_genesis():
    if AuditEvent.objects.exists():
        pytest.skip("a data migration already wrote audit records")
    event = audit.record(action="test.genesis")
    assert event is not None and event.prev_hash == "0" * 64


def test_stored_record_rehashes_identically(user):
    detail = {"b": 1.0, "a": 1e20, "half": 0.5, "名称": "南京市", "nested": [{"x": None, "y": True}]}
    event = audit.record(action="test.roundtrip", actor=user, detail=detail, count=3, digest="ab" * 32)
    assert event is not None
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.detail == {
        "b": 1,
        "a": 10**20,
        "half": 0.5,
        "名称": "南京市",
        "nested": [{"x": None, "y": True}],
    }
    assert chain.chain_hash(stored.prev_hash, stored.__dict__) == stored.chain_hash
    canonical = json.loads(chain.canonical_json(stored.__dict__))
    assert canonical["occurred_at"].endswith("Z") and len(canonical["occurred_at"]) == 27
    assert canonical["actor_id"] == str(user.pk)


def test_actor_and_context_come_from_the_request_context(user):
    ctx = request_context.RequestContext(ip="10.0.0.7", user=user, channel="web")
    with request_context.bind(ctx):
        event = audit.record(action="test.context")
    assert event is not None
    assert (event.actor_id, event.actor_label) == (user.pk, "auditor1")
    assert (event.ip, event.request_id, event.channel) == ("10.0.0.7", ctx.request_id, "web")


def test_actor_label_without_an_actor():
    with request_context.bind(request_context.RequestContext(user=AnonymousUser(), channel="api")):
        anonymous = audit.record(action="test.anon")
    with request_context.bind(request_context.RequestContext(channel="job")):
        system = audit.record(action="test.system")
    with request_context.bind(request_context.RequestContext(channel="web")):
        named = audit.record(action="accounts.login", actor_label="nosuchuser", outcome="failed")
    assert anonymous is not None and system is not None and named is not None
    assert (anonymous.actor_id, anonymous.actor_label) == (None, "anonymous")
    assert system.actor_label == "system"
    assert named.actor_label == "nosuchuser"


def test_obj_fills_object_fields(user):
    event = audit.record(action="accounts.user.create", actor=user, obj=user)
    assert event is not None
    expected = ("accounts.user", str(user.pk), str(user))
    assert (event.object_type, event.object_id, event.object_repr) == expected


def test_long_values_are_cut_to_the_column(user):
    event = audit.record(action="test.long", object_repr="长" * 500, actor_label="x" * 300)
    assert event is not None
    assert len(event.object_repr) == 200 and len(event.actor_label) == 150
    assert audit.verify().ok


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"action": "NotDotted"}, "dotted"),
        ({"action": "test.x", "outcome": "maybe"}, "outcome"),
        ({"action": "test.x", "count": -1}, "count"),
        ({"action": "test.x", "detail": {"blob": "x" * 20000}}, "detail"),
        ({"action": "test.x", "detail": {"bad": float("nan")}}, "JSON"),
    ],
)
def test_bad_calls_are_programming_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        audit.record(**kwargs)


def test_record_bulk_keeps_count_and_digest():
    rows: list[bytes | str] = [b"row-1\n", b"row-2\n", "行-3\n"]
    digest = audit.payload_digest(rows)
    assert digest == audit.payload_digest("row-1\nrow-2\n行-3\n".encode())
    event = audit.record_bulk(action="safety.telemetry.batch", count=3, payload_digest=digest)
    assert event is not None and event.count == 3 and event.digest == digest


def test_models_refuse_direct_saves(user):
    event = audit.record(action="test.save", actor=user)
    assert event is not None
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        AuditEvent(action="test.forged", outcome="success", prev_hash="1" * 64).save()


def test_a_second_successor_of_one_record_is_refused(user):
    event = audit.record(action="test.fork", actor=user)
    assert event is not None
    fork = AuditEvent(action="test.fork", outcome="success", prev_hash=event.prev_hash, chain_hash="f" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        fork.save(force_insert=True)
