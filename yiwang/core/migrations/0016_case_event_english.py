from django.db import migrations, models


class Migration(migrations.Migration):
    """流转记录 in two languages: a platform's note keeps its English beside the Chinese."""

    dependencies = [
        ("core", "0015_merge_20261208_0426"),
    ]

    operations = [
        migrations.AddField(
            model_name="caseevent",
            name="comment_en",
            field=models.TextField(blank=True, verbose_name="英文意见"),
        ),
    ]
