from django.db import migrations

from zhujian.core import fts

CITY_CODE = "320100"


def forwards(apps, schema_editor):
    Region = apps.get_model("reference", "Region")
    districts = list(Region.objects.filter(parent_id=CITY_CODE).values_list("code", flat=True))
    fts.install_partitions(schema_editor, "registry_project", "region_id", districts)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Region = apps.get_model("reference", "Region")
    for code in Region.objects.filter(parent_id=CITY_CODE).values_list("code", flat=True):
        schema_editor.execute(f"DROP INDEX IF EXISTS registry_project_search_{code}")


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_search_index"), ("reference", "0002_load_regions")]
    operations = [migrations.RunPython(forwards, backwards)]
