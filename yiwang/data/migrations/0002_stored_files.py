"""Import batches keep their source file as a stored file (core.StoredFile): the SM3
digest replaces SHA-256 (and finds a re-run's batch), ``filename`` becomes ``name``.

Existing source files stay where they are, in clear (``key_version`` NULL: read as legacy
clear files and still checked against their digest); new ones are SM4 encrypted at rest.
The SM3 digest of an existing file is computed from its bytes only when they still match
the SHA-256 taken at upload: a changed or missing file gets no digest and is refused."""

import hashlib

from django.db import migrations, models

FORMAT_TYPES = {
    "csv": "text/csv",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _read(batch):
    try:
        with batch.file.open("rb") as fh:
            return fh.read()
    except (OSError, ValueError):
        return None


def to_stored_files(apps, schema_editor):
    ImportBatch = apps.get_model("data", "ImportBatch")
    for batch in ImportBatch.objects.exclude(stored_file="").order_by("pk").iterator():
        batch.file.name = batch.stored_file
        batch.content_type = FORMAT_TYPES.get(batch.stored_file.rsplit(".", 1)[-1], "")
        data = _read(batch)
        if data is not None:
            batch.size = len(data)
            if hashlib.sha256(data).hexdigest() == batch.sha256:
                batch.sm3 = hashlib.new("sm3", data).hexdigest()
        batch.save(update_fields=["file", "content_type", "size", "sm3"])


def from_stored_files(apps, schema_editor):
    """Back: the path, and SHA-256 of files still in clear (an encrypted one gets none)."""
    ImportBatch = apps.get_model("data", "ImportBatch")
    for batch in ImportBatch.objects.exclude(file="").order_by("pk").iterator():
        batch.stored_file = batch.file.name
        data = _read(batch) if batch.key_version is None else None
        if data is not None and hashlib.new("sm3", data).hexdigest() == batch.sm3:
            batch.sha256 = hashlib.sha256(data).hexdigest()
        batch.save(update_fields=["stored_file", "sha256"])


class Migration(migrations.Migration):
    dependencies = [
        ("data", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(model_name="importbatch", old_name="filename", new_name="name"),
        migrations.AddField(
            model_name="importbatch",
            name="file",
            field=models.FileField(
                blank=True, max_length=300, upload_to="ingest/%Y/%m/", verbose_name="文件"
            ),
        ),
        migrations.AddField(
            model_name="importbatch",
            name="size",
            field=models.PositiveBigIntegerField(default=0, verbose_name="大小"),
        ),
        migrations.AddField(
            model_name="importbatch",
            name="content_type",
            field=models.CharField(blank=True, max_length=100, verbose_name="文件类型"),
        ),
        migrations.AddField(
            model_name="importbatch",
            name="sm3",
            field=models.CharField(
                blank=True, db_index=True, max_length=64, verbose_name="SM3 摘要"
            ),
        ),
        migrations.AddField(
            model_name="importbatch",
            name="key_version",
            field=models.PositiveSmallIntegerField(
                blank=True, null=True, verbose_name="SM4 密钥版本"
            ),
        ),
        migrations.RunPython(to_stored_files, from_stored_files),
        migrations.RemoveField(model_name="importbatch", name="stored_file"),
        migrations.RemoveField(model_name="importbatch", name="sha256"),
    ]
