"""The ticket's contact phone blind index stored as 16 bytes (the first 128 bits of its
HMAC-SM3) instead of 64 hex characters."""

from django.db import migrations

import yiwang.core.fields
import yiwang.core.migration_ops


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0014_blind_index_bytes"),
        ("hotline", "0004_list_fields"),
    ]

    operations = [
        yiwang.core.migration_ops.IndexToBytes(
            model_name="ticket",
            name="contact_phone_index",
            field=yiwang.core.fields.BlindIndexField(
                blank=True, db_index=True, editable=False, null=True, source="contact_phone"
            ),
        ),
    ]
