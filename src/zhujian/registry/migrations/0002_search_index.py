from django.db import migrations

from zhujian.core import fts

TABLES = ["registry_project", "registry_enterprise", "registry_person"]


def forwards(apps, schema_editor):
    for table in TABLES:
        fts.install(schema_editor, table)


def backwards(apps, schema_editor):
    for table in TABLES:
        fts.uninstall(schema_editor, table)


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
