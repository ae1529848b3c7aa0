"""Declare the personal kind of the catalogue's 照面信息 items already loaded (the spouse
on a 结婚证, a 居住证's addresses, a property's 坐落), so staff pages mask them; types
loaded after this take the kinds from the fixture."""

from django.db import migrations

KINDS = {
    "11100000LMUYHFBG3X001": {"address": "address", "origin": "address"},
    "11100000EU728GPTXJ001": {"spouse_name": "name", "spouse_id": "id_number"},
    "11100000CNN1AT8Y7E001": {"location": "address"},
}


def declare(apps, schema_editor):
    licence_type = apps.get_model("licences", "LicenceType")
    for row in licence_type.objects.filter(code__in=KINDS):
        kinds = KINDS[row.code]
        fields = [
            {**item, "type": kinds[item["key"]]}
            if item.get("key") in kinds and not item.get("type")
            else item
            for item in row.fields or []
        ]
        if fields != row.fields:
            row.fields = fields
            row.save(update_fields=["fields"])


class Migration(migrations.Migration):
    dependencies = [("licences", "0001_initial")]

    operations = [migrations.RunPython(declare, migrations.RunPython.noop)]
