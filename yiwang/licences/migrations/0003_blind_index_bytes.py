"""The licence holder's blind index stored as 16 bytes (the first 128 bits of its
HMAC-SM3) instead of 64 hex characters; the (holder, type) index follows the column."""

from django.db import migrations

import yiwang.core.fields
import yiwang.core.migration_ops


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0014_blind_index_bytes"),
        ("licences", "0002_personal_item_kinds"),
    ]

    operations = [
        yiwang.core.migration_ops.IndexToBytes(
            model_name="licence",
            name="holder_id_index",
            field=yiwang.core.fields.BlindIndexField(
                blank=True, db_index=True, editable=False, null=True, source="holder_id"
            ),
        ),
    ]
