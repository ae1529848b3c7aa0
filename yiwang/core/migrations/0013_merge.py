"""Joins the case list keys and the ledger entry bodies, made side by side."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0011_case_list_keys"),
        ("core", "0012_ledger_entry_body_backfill"),
    ]

    operations = []
