"""Joins the item-registers-entity and list-field migrations made side by side."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0006_item_registers_entity"),
        ("services", "0006_list_fields"),
    ]

    operations = []
