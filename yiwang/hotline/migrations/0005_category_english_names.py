"""English names of the 诉求分类 (名称, 说明) beside the Chinese ones, filled for the
categories already loaded from the shipped matter tree; categories loaded later take
them from the fixture."""

import json
from importlib import resources

from django.db import migrations, models


def fill(apps, schema_editor):
    text = resources.files("yiwang.hotline.fixtures").joinpath("categories.json")
    rows = {r["code"]: r for r in json.loads(text.read_text("utf-8"))}
    category = apps.get_model("hotline", "Category")
    changed = []
    for row in category.objects.filter(code__in=rows):
        spec = rows[row.code]
        row.name_en = row.name_en or spec.get("name_en", "")
        row.description_en = row.description_en or spec.get("description_en", "")
        changed.append(row)
    category.objects.bulk_update(changed, ["name_en", "description_en"])


class Migration(migrations.Migration):
    dependencies = [("hotline", "0004_list_fields")]

    operations = [
        migrations.AddField(
            model_name="category",
            name="name_en",
            field=models.CharField(blank=True, max_length=80, verbose_name="英文名称"),
        ),
        migrations.AddField(
            model_name="category",
            name="description_en",
            field=models.CharField(blank=True, max_length=200, verbose_name="英文说明"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
