"""Writing, verifying and purging the audit chain. Import as ``from zhujian.audit import services as audit``.

* :func:`record` — one audit event. A success recorded inside the caller's transaction commits or
  rolls back with the work it describes. A denial or failure recorded inside a transaction is
  queued instead and written by :func:`flush_pending` after that transaction has rolled back, so
  it survives (the web middleware ``AuditFlushMiddleware`` and :func:`deferred_flush` call it).
* :func:`record_bulk` — one event for bulk work, with a count and a payload digest.
* :func:`verify` — recompute the chain; :func:`purge_before` — retention, leaving an anchor.
* :func:`maintenance` — lifts the append-only triggers for one transaction (purge, test teardown).

Appends are serialised so the chain never forks: PostgreSQL takes a transaction-level advisory
lock before reading the tail; SQLite's IMMEDIATE transactions already hold the write lock. Either
lock is held until the *outermost* transaction ends, so audited writes commit one at a time.
PostgreSQL appends need READ COMMITTED (the default): a REPEATABLE READ snapshot taken before the
lock would read a stale tail, which the ``audit_no_fork`` unique constraint then refuses.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model
from django.utils import timezone

from zhujian.audit import chain
from zhujian.audit.models import ANCHOR_ACTION, AuditAnchor, AuditEvent, AuditMaintenance, Outcome
from zhujian.audit.triggers import MAINTENANCE_SETTING
from zhujian.core import request_context
from zhujian.core.errors import Conflict

__all__ = [
    "ANCHOR_ACTION",
    "ChainBroken",
    "VerifyResult",
    "deferred_flush",
    "flush_pending",
    "maintenance",
    "payload_digest",
    "pending_count",
    "purge_before",
    "record",
    "record_bulk",
    "verify",
]

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock key for audit appends: b"zhjaudit" as a big-endian signed bigint.
ADVISORY_LOCK_KEY = int.from_bytes(b"zhjaudit", "big")
MAX_DETAIL_BYTES = 16 * 1024
_ACTION_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_DEFERRED_OUTCOMES = frozenset({Outcome.DENIED, Outcome.FAILED})
_FIELD_LIMITS = {
    f.name: f.max_length
    for f in AuditEvent._meta.concrete_fields
    if getattr(f, "max_length", None) and f.name not in {"prev_hash", "chain_hash"}
}

payload_digest = chain.payload_digest


class ChainBroken(Conflict):
    code = "audit_chain_broken"
    default_message = "审计链校验未通过，已停止操作"


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str = ""


# Denials/failures waiting for the surrounding transaction to end. A context variable, so each
# request (bound by deferred_flush in the middleware), job or async task has its own list.
_pending: ContextVar[list[dict[str, Any]] | None] = ContextVar("zhujian_audit_pending", default=None)


# ---------------------------------------------------------------------------------------------
# Recording


def record(
    *,
    action: str,
    actor: Any = None,
    obj: Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    outcome: str = "success",
    detail: dict[str, Any] | None = None,
    count: int | None = None,
    digest: str = "",
    actor_label: str = "",
) -> AuditEvent | None:
    """Append one audit event; returns it, or ``None`` when a denial/failure was queued.

    ``actor`` defaults to the authenticated user of the current request context; ip, request id
    and channel always come from the context. ``obj`` fills ``object_type`` ("app_label.model"),
    ``object_id`` and ``object_repr`` unless they are given. ``detail`` must be small and hold
    no plaintext personal data: pass masked values.
    """
    fields = _build_fields(
        action=action,
        actor=actor,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        outcome=outcome,
        detail=detail,
        count=count,
        digest=digest,
        actor_label=actor_label,
    )
    using = _db()
    if outcome in _DEFERRED_OUTCOMES and _in_work_transaction(connections[using]):
        _queue(fields)
        return None
    return _append(fields, using=using)


def record_bulk(
    *,
    action: str,
    actor: Any = None,
    count: int,
    payload_digest: str,
    detail: dict[str, Any] | None = None,
    obj: Model | None = None,
    outcome: str = "success",
) -> AuditEvent | None:
    """One record for bulk work (an import, a seed, a telemetry batch): how many rows, and the SM3
    of the payload (see :func:`payload_digest`) so the batch can later be matched to its source."""
    return record(
        action=action,
        actor=actor,
        obj=obj,
        count=count,
        digest=payload_digest,
        detail=detail,
        outcome=outcome,
    )


def _build_fields(
    *,
    action: str,
    actor: Any,
    obj: Model | None,
    object_type: str,
    object_id: str,
    object_repr: str,
    outcome: str,
    detail: dict[str, Any] | None,
    count: int | None,
    digest: str,
    actor_label: str,
) -> dict[str, Any]:
    if not _ACTION_RE.match(action or ""):
        raise ValueError(f"audit action must be dotted lower-case ('registry.project.create'): {action!r}")
    if outcome not in Outcome.values:
        raise ValueError(f"audit outcome must be one of {Outcome.values}: {outcome!r}")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        raise ValueError(f"audit count must be a non-negative int: {count!r}")

    ctx = request_context.current()
    if actor is None and _is_authenticated(ctx.user):
        actor = ctx.user
    actor_id = actor.pk if _is_authenticated(actor) else None
    if not actor_label:
        if actor_id is not None:
            get_username = getattr(actor, "get_username", None)
            actor_label = get_username() if callable(get_username) else str(actor)
        else:
            actor_label = "anonymous" if ctx.channel in {"web", "api"} else "system"

    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or ("" if obj.pk is None else str(obj.pk))
        object_repr = object_repr or str(obj)

    fields: dict[str, Any] = {
        "occurred_at": timezone.now(),
        "actor_id": actor_id,
        "actor_label": actor_label,
        "ip": _clean_ip(ctx.ip),
        "request_id": ctx.request_id or "",
        "channel": ctx.channel or "",
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "object_repr": object_repr,
        "outcome": str(outcome),
        "detail": _clean_detail(detail),
        "count": count,
        "digest": digest or "",
    }
    for name, limit in _FIELD_LIMITS.items():
        if isinstance(fields.get(name), str):
            fields[name] = fields[name].replace("\x00", "")[:limit]
    return fields


def _is_authenticated(user: Any) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False)) and user.pk is not None


def _clean_ip(ip: str | None) -> str:
    if not ip:
        return ""
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        return str(ip)[:45]


def _clean_detail(detail: Mapping[str, Any] | None) -> dict[str, Any]:
    # Store exactly what is hashed: dates, decimals and UUIDs become strings here, once.
    text = json.dumps(detail or {}, cls=DjangoJSONEncoder, ensure_ascii=False, allow_nan=False)
    if len(text.encode("utf-8")) > MAX_DETAIL_BYTES:
        raise ValueError(
            f"audit detail over {MAX_DETAIL_BYTES} bytes: keep it small, or use record_bulk with a digest"
        )
    value = chain.normalize_json(json.loads(text))
    if not isinstance(value, dict):
        raise ValueError("audit detail must be a JSON object")
    return value


def _db() -> str:
    return router.db_for_write(AuditEvent)


def _in_work_transaction(conn: BaseDatabaseWrapper) -> bool:
    """True inside a transaction that may still roll back — ignoring the test case's own atomic
    blocks, so a test using the ``db`` fixture sees immediate writes like production does."""
    return conn.in_atomic_block and not all(getattr(a, "_from_testcase", False) for a in conn.atomic_blocks)


def _lock(conn: BaseDatabaseWrapper) -> None:
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
    # SQLite: the IMMEDIATE transaction opened by transaction.atomic() holds the write lock.


def _tail(using: str) -> str:
    return (
        AuditEvent.objects.using(using).order_by("-id").values_list("chain_hash", flat=True).first()
        or chain.GENESIS
    )


def _append(fields: Mapping[str, Any], *, using: str, prev: str | None = None) -> AuditEvent:
    conn = connections[using]
    with transaction.atomic(using=using):
        _lock(conn)
        if prev is None:
            prev = _tail(using)
        event = AuditEvent(prev_hash=prev, chain_hash=chain.chain_hash(prev, fields), **fields)
        event.save(using=using, force_insert=True)
    return event


# ---------------------------------------------------------------------------------------------
# Deferred denials and failures


def _queue(fields: dict[str, Any]) -> None:
    pending = _pending.get()
    if pending is None:
        pending = []
        _pending.set(pending)
    pending.append(fields)


def pending_count() -> int:
    return len(_pending.get() or ())


def flush_pending() -> int:
    """Write the queued denials/failures, each in its own transaction; returns how many.

    Call it after the surrounding transaction has ended. Inside a transaction that may still
    roll back it writes nothing and leaves the queue for the next flush.
    """
    pending = _pending.get()
    if not pending:
        return 0
    using = _db()
    if _in_work_transaction(connections[using]):
        return 0
    written = 0
    while pending:
        _append(pending[0], using=using)
        pending.pop(0)  # only once written: a failed write stays queued
        written += 1
    return written


@contextmanager
def deferred_flush() -> Iterator[None]:
    """Give the block its own queue and flush it on the way out (after any rollback inside).

    For requests (``AuditFlushMiddleware``), jobs and management commands. If the block is left
    while still inside a transaction, the queue is handed to the enclosing one.
    """
    token = _pending.set([])
    try:
        yield
    except BaseException:
        _leave(token, raise_errors=False)
        raise
    else:
        _leave(token, raise_errors=True)


def _leave(token: Any, *, raise_errors: bool) -> None:
    try:
        flush_pending()
    except Exception:
        if raise_errors:
            _handover(token)
            raise
        logger.exception("audit: could not write deferred records; they stay queued")
    _handover(token)


def _handover(token: Any) -> None:
    leftover = _pending.get() or []
    _pending.reset(token)
    for fields in leftover:
        _queue(fields)


# ---------------------------------------------------------------------------------------------
# Maintenance, purge, verification


@contextmanager
def maintenance(*, using: str | None = None) -> Iterator[None]:
    """Allow UPDATE/DELETE/TRUNCATE on the audit table within this block's transaction.

    Only the retention purge and the test harness's teardown use it. On PostgreSQL the current role
    must also own the table (the triggers check), so an application role cannot use it.
    """
    using = using or _db()
    conn = connections[using]
    with transaction.atomic(using=using):
        _set_maintenance(conn, True)
        yield
        # Reset before a possibly enclosing transaction goes on; on an exception the savepoint or
        # transaction rollback undoes the setting instead.
        _set_maintenance(conn, False)


def _set_maintenance(conn: BaseDatabaseWrapper, on: bool) -> None:
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute("SELECT set_config(%s, %s, true)", [MAINTENANCE_SETTING, "on" if on else "off"])
        elif conn.vendor == "sqlite":
            table = conn.ops.quote_name(AuditMaintenance._meta.db_table)
            # Upsert: the flag row may be missing (a flushed test database); missing reads as off.
            cursor.execute(
                f"INSERT INTO {table} (id, active) VALUES (1, %s) "  # noqa: S608 - table name is ours
                "ON CONFLICT (id) DO UPDATE SET active = excluded.active",
                [on],
            )
        else:
            raise NotImplementedError(f"audit maintenance: unsupported database vendor {conn.vendor!r}")


def purge_before(*, cutoff: datetime, actor: Any, using: str | None = None) -> int:
    """Delete the oldest records, up to the first one at or after ``cutoff``; returns how many.

    Only a prefix of the chain is removed (a record older than the cutoff that follows a newer one
    is kept), and only if the chain verifies first: a broken chain needs a person, not a purge.
    Appends an anchor record (``audit.anchor``) naming the last purged record's id and chain hash;
    :func:`verify` starts from there. On PostgreSQL in production ``using`` must name a connection
    that owns the audit table.
    """
    if timezone.is_naive(cutoff):
        raise ValueError("cutoff must be timezone-aware")
    using = using or _db()
    result = verify(using=using)
    if not result.ok:
        raise ChainBroken(f"审计链在记录 #{result.first_broken_id} 处断裂：{result.reason}；未执行清理")
    conn = connections[using]
    events = AuditEvent.objects.using(using)
    with transaction.atomic(using=using):
        _lock(conn)
        kept = events.filter(occurred_at__gte=cutoff).order_by("id")
        first_kept = kept.values_list("id", flat=True).first()
        doomed = events.filter(id__lt=first_kept) if first_kept is not None else events.all()
        last = doomed.order_by("-id").values_list("id", "chain_hash").first()
        if last is None:
            return 0
        last_id, last_hash = last
        tail = _tail(using)  # read before deleting: the whole chain may go
        with maintenance(using=using), conn.cursor() as cursor:
            table = conn.ops.quote_name(AuditEvent._meta.db_table)
            cursor.execute(f"DELETE FROM {table} WHERE id <= %s", [last_id])  # noqa: S608 - our table
            deleted = cursor.rowcount
        anchor = _build_fields(
            action=ANCHOR_ACTION,
            actor=actor,
            obj=None,
            object_type="",
            object_id="",
            object_repr="",
            outcome=Outcome.SUCCESS,
            count=deleted,
            digest="",
            actor_label="",
            detail={
                "cutoff": chain.format_time(cutoff),
                "purged_through_id": last_id,
                "purged_through_hash": last_hash,
            },
        )
        _append(anchor, using=using, prev=tail)
    return deleted


def verify(*, using: str | None = None, chunk_size: int = 2000) -> VerifyResult:
    """Recompute the chain in id order and report the first broken link.

    The earliest remaining record must follow :data:`chain.GENESIS`, or — after a purge — the
    chain hash the latest anchor names. Tail truncation (deleting the newest records) cannot be
    seen from inside the chain; compare with an exported copy or a ledger checkpoint for that.
    """
    using = using or router.db_for_read(AuditEvent)
    anchor = AuditAnchor.objects.using(using).order_by("-id").first()
    expected_prev = anchor.purged_through_hash if anchor is not None else chain.GENESIS
    names = ["id", "prev_hash", "chain_hash", *chain.HASHED_FIELDS]
    checked = 0
    rows = AuditEvent.objects.using(using).order_by("id").values(*names).iterator(chunk_size=chunk_size)
    for row in rows:
        if row["prev_hash"] != expected_prev:
            reason = (
                "前序哈希与锚点或创世值不符（最早的记录被删除或替换）"
                if checked == 0
                else "前序哈希与上一条记录的链哈希不符（记录被删除、插入或重排）"
            )
            return VerifyResult(ok=False, checked=checked, first_broken_id=row["id"], reason=reason)
        try:
            computed = chain.chain_hash(row["prev_hash"], row)
        except (TypeError, ValueError) as exc:
            return VerifyResult(
                ok=False, checked=checked, first_broken_id=row["id"], reason=f"记录内容无法规范化：{exc}"
            )
        if computed != row["chain_hash"]:
            reason = "记录内容与链哈希不符（记录被修改）"
            return VerifyResult(ok=False, checked=checked, first_broken_id=row["id"], reason=reason)
        expected_prev = row["chain_hash"]
        checked += 1
    return VerifyResult(ok=True, checked=checked)
