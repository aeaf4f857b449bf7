"""Full-text search over a model's ``search_tokens`` column on SQLite (FTS5) and PostgreSQL.

Text is tokenised in Python (``core.search``: rjieba words + CJK bigrams) because neither
database splits Chinese. PostgreSQL keeps a generated ``tsvector('simple')`` column with a GIN
index; SQLite keeps an external-content FTS5 table synced by triggers. Both are created by each
app's migration through ``install``; queries go through ``matching``.

SQLite rebuilds a table for most ``AlterField`` operations and drops its triggers with it: a later
migration that alters a searchable table must call ``uninstall`` + ``install`` again (see
registry/migrations/0004); the search tests fail if it does not.
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from zhujian.core import search

COLUMN = "search_tokens"


def _sqlite_install(table: str) -> list[str]:
    fts = f"{table}_fts"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({COLUMN}, content='{table}', content_rowid='id')",
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, {COLUMN}) VALUES (new.id, new.{COLUMN}); END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {COLUMN}) VALUES ('delete', old.id, old.{COLUMN}); END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {COLUMN} ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {COLUMN}) VALUES ('delete', old.id, old.{COLUMN}); "
        f"INSERT INTO {fts}(rowid, {COLUMN}) VALUES (new.id, new.{COLUMN}); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def _sqlite_uninstall(table: str) -> list[str]:
    fts = f"{table}_fts"
    return [f"DROP TRIGGER IF EXISTS {fts}_{suffix}" for suffix in ("ai", "ad", "au")] + [
        f"DROP TABLE IF EXISTS {fts}"
    ]


def _postgres_install(table: str) -> list[str]:
    return [
        f"ALTER TABLE {table} ADD COLUMN search_vector tsvector "
        f"GENERATED ALWAYS AS (to_tsvector('simple', {COLUMN})) STORED",
        f"CREATE INDEX {table}_search_gin ON {table} USING gin (search_vector)",
    ]


def _postgres_uninstall(table: str) -> list[str]:
    return [
        f"DROP INDEX IF EXISTS {table}_search_gin",
        f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector",
    ]


def install(schema_editor: BaseDatabaseSchemaEditor, table: str) -> None:
    vendor = schema_editor.connection.vendor
    statements = _sqlite_install(table) if vendor == "sqlite" else _postgres_install(table)
    for sql in statements:
        schema_editor.execute(sql)


def uninstall(schema_editor: BaseDatabaseSchemaEditor, table: str) -> None:
    vendor = schema_editor.connection.vendor
    statements = _sqlite_uninstall(table) if vendor == "sqlite" else _postgres_uninstall(table)
    for sql in statements:
        schema_editor.execute(sql)


def install_partitions(
    schema_editor: BaseDatabaseSchemaEditor, table: str, column: str, values: list[str]
) -> None:
    """One partial GIN index per value of ``column`` (PostgreSQL only).

    A district user's searches always carry ``region_id = '<district>'``; with an index holding only
    that district's rows, a common word reads a posting list a tenth the size of the city's.
    The city-wide index stays for city staff.
    """
    if schema_editor.connection.vendor != "postgresql":
        return
    for value in values:
        if not value.isalnum():
            raise ValueError(f"partition value must be alphanumeric: {value!r}")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_search_{value} ON {table} USING gin (search_vector) "
            f"WHERE {column} = '{value}'"
        )


def matching(queryset: QuerySet[Any], query: str) -> QuerySet[Any]:
    """Rows whose tokens contain every term of ``query``; the query unchanged if it has none."""
    terms = search.query_terms(query or "")
    if not terms:
        return queryset
    table = queryset.model._meta.db_table
    vendor = connections[queryset.db].vendor
    if vendor == "sqlite":
        condition = RawSQL(
            f'"{table}"."id" IN (SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH %s)',
            [search.fts5_match_expression(terms)],
            output_field=BooleanField(),
        )
    else:
        condition = RawSQL(
            f'"{table}"."search_vector" @@ to_tsquery(\'simple\', %s)',
            [search.tsquery_expression(terms)],
            output_field=BooleanField(),
        )
    return queryset.filter(condition)
