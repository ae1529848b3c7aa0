"""English names of the 证照目录 (类型名称, 持证主体称谓, 照面信息项) beside the Chinese
ones, filled for the types already loaded from the shipped catalogue; types loaded
later take them from the fixture."""

import json
from importlib import resources

from django.db import migrations, models


def fill(apps, schema_editor):
    text = resources.files("yiwang.licences.fixtures").joinpath("licence_types.json")
    specs = {s["code"]: s for s in json.loads(text.read_text("utf-8"))["types"]}
    licence_type = apps.get_model("licences", "LicenceType")
    for row in licence_type.objects.filter(code__in=specs):
        spec = specs[row.code]
        english = {f["key"]: f.get("label_en", "") for f in spec.get("fields", [])}
        row.name_en = row.name_en or spec.get("name_en", "")
        row.holder_label_en = row.holder_label_en or spec.get("holder_label_en", "")
        row.fields = [
            {**item, "label_en": english[item["key"]]}
            if english.get(item.get("key")) and not item.get("label_en")
            else item
            for item in row.fields or []
        ]
        row.save(update_fields=["name_en", "holder_label_en", "fields"])


class Migration(migrations.Migration):
    dependencies = [("licences", "0002_personal_item_kinds")]

    operations = [
        migrations.AddField(
            model_name="licencetype",
            name="name_en",
            field=models.CharField(blank=True, max_length=100, verbose_name="英文名称"),
        ),
        migrations.AddField(
            model_name="licencetype",
            name="holder_label_en",
            field=models.CharField(blank=True, max_length=40, verbose_name="持证主体称谓（英文）"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
