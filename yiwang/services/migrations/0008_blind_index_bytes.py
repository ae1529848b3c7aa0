"""Applicants' blind indexes stored as 16 bytes (the first 128 bits of their HMAC-SM3)
instead of 64 hex characters."""

from django.db import migrations

import yiwang.core.fields
import yiwang.core.migration_ops


def _index():
    return yiwang.core.fields.BlindIndexField(
        blank=True, db_index=True, editable=False, null=True, source="applicant_id_number"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0014_blind_index_bytes"),
        ("services", "0007_merge"),
    ]

    operations = [
        yiwang.core.migration_ops.IndexToBytes(
            model_name=model, name="applicant_id_index", field=_index()
        )
        for model in ("application", "rating", "windowvisit")
    ]
