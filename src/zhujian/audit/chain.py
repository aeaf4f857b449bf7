"""The hash chain's canonical form — pure functions, no database.

    chain_hash = SM3( prev_hash  ||  canonical_json(record) )   as lowercase hex

* ``prev_hash`` is the previous record's ``chain_hash`` as 64 ASCII hex characters; the first
  record ever uses :data:`GENESIS` (64 zeros). After a retention purge the earliest remaining
  record keeps its stored ``prev_hash``; the purge's anchor record names that hash.
* ``canonical_json(record)`` is UTF-8 JSON of exactly the keys in :data:`HASHED_FIELDS`, with
  sorted keys, separators ``","`` and ``":"``, no ASCII escaping (``ensure_ascii=False``), and:

  - ``occurred_at``: UTC, ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (always six fraction digits);
  - ``actor_id``: the user's primary key as a string, or ``null``;
  - ``count``: an integer or ``null``;
  - ``detail``: a JSON object; floats with an integral value are written as integers (PostgreSQL
    ``jsonb`` would turn ``1e20`` into ``100000000000000000000`` and break the hash otherwise);
  - every other field: the stored string (``""`` when empty).

  The record's ``id`` is not hashed (it is only known after the insert); order is carried by the
  chain itself. ``audit export`` emits these same values, so an off-host copy can be re-verified
  with nothing but this description and an SM3 implementation.

Changing the hashed field set or any rule above invalidates every existing record: version it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives import hashes

from zhujian.core.crypto import sm3_hex

GENESIS = "0" * 64

HASHED_FIELDS: tuple[str, ...] = (
    "occurred_at",
    "actor_id",
    "actor_label",
    "ip",
    "request_id",
    "channel",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "outcome",
    "detail",
    "count",
    "digest",
)


def format_time(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def normalize_json(value: Any) -> Any:
    """The JSON value as it survives a round trip through SQLite text or PostgreSQL jsonb.

    Idempotent: applied when a record is written (so that is what is stored) and again when it is
    verified. NUL characters are dropped (PostgreSQL text and jsonb refuse them).
    """
    if isinstance(value, Mapping):
        return {str(k).replace("\x00", ""): normalize_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalize_json(v) for v in value]
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, float) and value.is_integer():
        # Via the shortest repr, so 1e20 becomes 10**20 exactly as jsonb's numeric holds it.
        return int(Decimal(repr(value)))
    return value


def canonical_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """The hashed values of a record, from a model instance's or ``.values()`` row's fields."""
    actor_id = row.get("actor_id")
    count = row.get("count")
    return {
        "occurred_at": format_time(row["occurred_at"]),
        "actor_id": None if actor_id is None else str(actor_id),
        "actor_label": row.get("actor_label") or "",
        "ip": row.get("ip") or "",
        "request_id": row.get("request_id") or "",
        "channel": row.get("channel") or "",
        "action": row["action"],
        "object_type": row.get("object_type") or "",
        "object_id": row.get("object_id") or "",
        "object_repr": row.get("object_repr") or "",
        "outcome": row["outcome"],
        "detail": normalize_json(row.get("detail") or {}),
        "count": None if count is None else int(count),
        "digest": row.get("digest") or "",
    }


def canonical_json(row: Mapping[str, Any]) -> str:
    return json.dumps(
        canonical_fields(row), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def chain_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    return sm3_hex(prev_hash + canonical_json(row))


def payload_digest(data: bytes | str | Iterable[bytes | str]) -> str:
    """SM3 of a bulk payload (one blob, or chunks hashed as if concatenated) for ``record_bulk``."""
    digest = hashes.Hash(hashes.SM3())
    chunks: Iterable[bytes | str] = [data] if isinstance(data, bytes | str) else data
    for chunk in chunks:
        digest.update(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
    return digest.finalize().hex()
