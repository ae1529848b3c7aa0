"""Blind indexes of accounts stored as 16 bytes (the first 128 bits of their HMAC-SM3)
instead of 64 hex characters; the one-citizen-per-ID-number constraint is made again over
the new column (an account without an ID number now has NULL there). SMS challenges keep
the phone's index as text, cut to the 32 characters an index has now."""

from django.db import migrations, models
from django.db.models.functions import Substr

import yiwang.core.fields
import yiwang.core.migration_ops


def cut_challenge_indexes(apps, schema_editor):
    challenge = apps.get_model("core", "PhoneChallenge")
    challenge.objects.using(schema_editor.connection.alias).update(
        phone_index=Substr("phone_index", 1, 32)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0013_merge"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="user",
            name="user_citizen_id_unique",
        ),
        yiwang.core.migration_ops.IndexToBytes(
            model_name="user",
            name="id_number_index",
            field=yiwang.core.fields.BlindIndexField(
                blank=True, db_index=True, editable=False, null=True, source="id_number"
            ),
        ),
        yiwang.core.migration_ops.IndexToBytes(
            model_name="user",
            name="phone_index",
            field=yiwang.core.fields.BlindIndexField(
                blank=True, db_index=True, editable=False, null=True, source="phone"
            ),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                condition=models.Q(("id_number_index__isnull", False), ("kind", "citizen")),
                fields=("id_number_index",),
                name="user_citizen_id_unique",
            ),
        ),
        migrations.RunPython(cut_challenge_indexes, migrations.RunPython.noop),
    ]
