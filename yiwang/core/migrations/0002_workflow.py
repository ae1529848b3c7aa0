from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="escalation_step",
            field=models.PositiveSmallIntegerField(
                default=0,
                help_text="本环节已执行的超期督办规则个数；进入新环节时归零，保证每条规则只执行一次。",
                verbose_name="已执行督办规则数",
            ),
        ),
    ]
