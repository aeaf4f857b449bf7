"""Make the audit table append-only (DESIGN.md, Audit): triggers per vendor, and the SQLite flag row.

The SQL lives in ``zhujian.audit.triggers`` so a later migration that rebuilds the table (SQLite
drops triggers with it) can call ``triggers.install`` again.
"""

from django.db import migrations

from zhujian.audit import triggers


def install(apps, schema_editor):
    event = apps.get_model("audit", "AuditEvent")
    flag = apps.get_model("audit", "AuditMaintenance")
    flag.objects.using(schema_editor.connection.alias).get_or_create(id=1, defaults={"active": False})
    triggers.install(
        schema_editor.connection, table=event._meta.db_table, flag_table=flag._meta.db_table
    )


def uninstall(apps, schema_editor):
    event = apps.get_model("audit", "AuditEvent")
    triggers.uninstall(schema_editor.connection, table=event._meta.db_table)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(install, uninstall),
    ]
