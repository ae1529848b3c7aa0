"""记录原文 for entries written before ``body`` existed: the canonical leaf bytes of each
entry's fields as they stand, in batches, each batch committed on its own (an
interrupted run resumes with the entries still without ``body``).

Computing ``body`` from the fields cannot hide an earlier edit: the block lists the leaf
hash sealed at the time, and SM3(0x00 ‖ body) of an edited entry does not match it.
"""

from django.db import migrations, transaction

BATCH = 2000


def backfill(apps, schema_editor):
    from yiwang.core.audit import canonical, leaf_fields

    entry_model = apps.get_model("core", "AuditEntry")
    db = schema_editor.connection.alias
    table = schema_editor.connection.ops.quote_name(entry_model._meta.db_table)
    after = 0
    while True:
        rows = list(
            entry_model.objects.using(db)
            .filter(body__isnull=True, id__gt=after)
            .order_by("id")[:BATCH]
        )
        if not rows:
            return
        updates = [(canonical(leaf_fields(row)), row.pk) for row in rows]
        with transaction.atomic(using=db), schema_editor.connection.cursor() as cur:
            cur.executemany(f"UPDATE {table} SET body = %s WHERE id = %s", updates)
        after = rows[-1].pk


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("core", "0011_ledger_entry_body"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
