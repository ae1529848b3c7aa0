"""Materials become stored files (core.StoredFile): the SM3 digest replaces SHA-256.

Existing files stay where they are, in clear (``key_version`` NULL: read as legacy clear
files and still checked against their digest); new files are SM4 encrypted at rest. The
SM3 digest of each existing file is computed from its bytes, but only when they still
match the SHA-256 taken at upload: a file changed since then (or missing) gets no digest
and is refused when opened, as before."""

import hashlib

from django.db import migrations, models


def _read(material):
    try:
        with material.file.open("rb") as fh:
            return fh.read()
    except (OSError, ValueError):
        return None


def sha256_to_sm3(apps, schema_editor):
    Material = apps.get_model("services", "Material")
    rows = Material.objects.exclude(file="").exclude(sha256="").order_by("pk")
    for material in rows.iterator():
        data = _read(material)
        if data is not None and hashlib.sha256(data).hexdigest() == material.sha256:
            material.sm3 = hashlib.new("sm3", data).hexdigest()
            material.save(update_fields=["sm3"])


def sm3_to_sha256(apps, schema_editor):
    """Back: SHA-256 of files still in clear; an encrypted file gets none (refused)."""
    Material = apps.get_model("services", "Material")
    rows = Material.objects.exclude(file="").exclude(sm3="").filter(key_version__isnull=True)
    rows = rows.order_by("pk")
    for material in rows.iterator():
        data = _read(material)
        if data is not None and hashlib.new("sm3", data).hexdigest() == material.sm3:
            material.sha256 = hashlib.sha256(data).hexdigest()
            material.save(update_fields=["sha256"])


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0004_rating_callback_phone"),
    ]

    operations = [
        migrations.AddField(
            model_name="material",
            name="key_version",
            field=models.PositiveSmallIntegerField(
                blank=True, null=True, verbose_name="SM4 密钥版本"
            ),
        ),
        migrations.AddField(
            model_name="material",
            name="sm3",
            field=models.CharField(blank=True, max_length=64, verbose_name="SM3 摘要"),
        ),
        migrations.RunPython(sha256_to_sm3, sm3_to_sha256),
        migrations.RemoveField(
            model_name="material",
            name="sha256",
        ),
        migrations.AlterField(
            model_name="material",
            name="content_type",
            field=models.CharField(blank=True, max_length=100, verbose_name="文件类型"),
        ),
        migrations.AlterField(
            model_name="material",
            name="file",
            field=models.FileField(
                blank=True,
                max_length=200,
                upload_to="services/materials/%Y/%m/",
                verbose_name="文件",
            ),
        ),
        migrations.AlterField(
            model_name="material",
            name="size",
            field=models.PositiveBigIntegerField(default=0, verbose_name="大小"),
        ),
    ]
