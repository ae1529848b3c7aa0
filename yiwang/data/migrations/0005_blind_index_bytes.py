"""Blind indexes of the 基础库 and the subject index of the 用数记录 stored as 16 bytes
(the first 128 bits of their HMAC-SM3) instead of 64 hex characters."""

from django.db import migrations

import yiwang.core.fields
import yiwang.core.migration_ops


def _index(source, **kwargs):
    return yiwang.core.fields.BlindIndexField(
        blank=True, db_index=True, editable=False, null=True, source=source, **kwargs
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0014_blind_index_bytes"),
        ("data", "0004_registry_search_order"),
    ]

    operations = [
        yiwang.core.migration_ops.IndexToBytes(
            model_name="dataaccess",
            name="subject_index",
            field=yiwang.core.fields.IndexBytesField(blank=True, db_index=True, null=True),
        ),
        yiwang.core.migration_ops.IndexToBytes(
            model_name="legalentity",
            name="legal_rep_id_index",
            field=_index("legal_rep_id"),
        ),
        yiwang.core.migration_ops.IndexToBytes(
            model_name="person",
            name="id_number_index",
            field=_index("id_number", unique=True),
        ),
        yiwang.core.migration_ops.IndexToBytes(
            model_name="person",
            name="name_index",
            field=_index("name"),
        ),
        yiwang.core.migration_ops.IndexToBytes(
            model_name="person",
            name="phone_index",
            field=_index("phone"),
        ),
    ]
