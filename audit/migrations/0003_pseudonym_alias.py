import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only"),
    ]

    operations = [
        migrations.CreateModel(
            name="PseudonymAlias",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "pseudonym",
                    models.CharField(max_length=32, unique=True, verbose_name="pseudonym"),
                ),
                ("person_id", models.BigIntegerField(verbose_name="person")),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="oprettet"
                    ),
                ),
            ],
            options={
                "verbose_name": "tidligere pseudonym",
                "verbose_name_plural": "tidligere pseudonymer",
            },
        ),
    ]
