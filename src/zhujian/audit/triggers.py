"""Database triggers that make the audit table append-only unless the maintenance flag is set.

PostgreSQL: a plpgsql function refuses row UPDATE/DELETE and statement TRUNCATE unless
``current_setting('zhujian.audit_maintenance', true) = 'on'`` *and* the current role has the
privileges of the table's owner. Any session may set a custom setting, so the owner check is what
keeps an application role (which must not own the table, DESIGN.md) out even if it sets the flag.

SQLite: BEFORE UPDATE/DELETE triggers raise unless the one-row ``AuditMaintenance`` flag is 1; a
missing flag row counts as 0. SQLite has no TRUNCATE.

Caution: on SQLite, Django applies many ``AlterField`` operations by rebuilding the table, which
drops its triggers. A migration that alters ``AuditEvent`` must call :func:`install` again; the
``audit.W001`` system check and ``audit verify`` report missing triggers.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

MAINTENANCE_SETTING = "zhujian.audit_maintenance"
APPEND_ONLY_MESSAGE = "audit log is append-only"

PG_FUNCTION = "audit_auditevent_guard"
PG_ROW_TRIGGER = "audit_auditevent_append_only"
PG_TRUNCATE_TRIGGER = "audit_auditevent_no_truncate"
SQLITE_UPDATE_TRIGGER = "audit_auditevent_no_update"
SQLITE_DELETE_TRIGGER = "audit_auditevent_no_delete"


def expected(vendor: str) -> set[str]:
    if vendor == "postgresql":
        return {PG_ROW_TRIGGER, PG_TRUNCATE_TRIGGER}
    if vendor == "sqlite":
        return {SQLITE_UPDATE_TRIGGER, SQLITE_DELETE_TRIGGER}
    raise NotImplementedError(f"audit triggers: unsupported database vendor {vendor!r}")


def _pg_sql(table: str) -> list[str]:
    return [
        f"""
        CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF coalesce(current_setting('{MAINTENANCE_SETTING}', true), '') = 'on'
               AND pg_has_role(current_user,
                               (SELECT relowner FROM pg_catalog.pg_class WHERE oid = TG_RELID),
                               'USAGE') THEN
                IF TG_LEVEL = 'STATEMENT' THEN
                    RETURN NULL;
                ELSIF TG_OP = 'DELETE' THEN
                    RETURN OLD;
                END IF;
                RETURN NEW;
            END IF;
            RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}: % on % refused', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'integrity_constraint_violation',
                      HINT = 'only the retention purge may remove audit records';
        END
        $$
        """,  # noqa: S608 - constants and a quoted table name, no input
        f"DROP TRIGGER IF EXISTS {PG_ROW_TRIGGER} ON {table}",
        f"CREATE TRIGGER {PG_ROW_TRIGGER} BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()",
        f"DROP TRIGGER IF EXISTS {PG_TRUNCATE_TRIGGER} ON {table}",
        f"CREATE TRIGGER {PG_TRUNCATE_TRIGGER} BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()",
    ]


def _sqlite_sql(table: str, flag_table: str) -> list[str]:
    maintenance_off = f"coalesce((SELECT active FROM {flag_table} WHERE id = 1), 0) = 0"  # noqa: S608
    statements = []
    for name, event in ((SQLITE_UPDATE_TRIGGER, "UPDATE"), (SQLITE_DELETE_TRIGGER, "DELETE")):
        statements += [
            f"DROP TRIGGER IF EXISTS {name}",
            # Constants and quoted table names only, no input.
            f"CREATE TRIGGER {name} BEFORE {event} ON {table} WHEN {maintenance_off} "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
        ]
    return statements


def install(connection: BaseDatabaseWrapper, *, table: str, flag_table: str) -> None:
    """(Re)create the triggers; idempotent. ``table``/``flag_table`` are unquoted db_table names."""
    qn = connection.ops.quote_name
    if connection.vendor == "postgresql":
        statements = _pg_sql(qn(table))
    elif connection.vendor == "sqlite":
        statements = _sqlite_sql(qn(table), qn(flag_table))
    else:
        expected(connection.vendor)  # raises: no silent install of nothing
        return
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def uninstall(connection: BaseDatabaseWrapper, *, table: str) -> None:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS {PG_ROW_TRIGGER} ON {qn(table)}")
            cursor.execute(f"DROP TRIGGER IF EXISTS {PG_TRUNCATE_TRIGGER} ON {qn(table)}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")
        elif connection.vendor == "sqlite":
            cursor.execute(f"DROP TRIGGER IF EXISTS {SQLITE_UPDATE_TRIGGER}")
            cursor.execute(f"DROP TRIGGER IF EXISTS {SQLITE_DELETE_TRIGGER}")


def installed(connection: BaseDatabaseWrapper, *, table: str) -> set[str]:
    """Names of the append-only triggers present on ``table`` (empty if the table is missing)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT t.tgname FROM pg_catalog.pg_trigger t "
                "WHERE t.tgrelid = to_regclass(%s) AND NOT t.tgisinternal AND t.tgenabled <> 'D'",
                [connection.ops.quote_name(table)],
            )
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table])
        else:
            return set()
        rows: list[Any] = cursor.fetchall()
    return {str(r[0]) for r in rows} & expected(connection.vendor)
