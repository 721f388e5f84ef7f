"""API tokens (accounts.tokens); and the administrator role may see and lift login lockouts
(django-axes' access attempts)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

LOCKOUT_PERMISSIONS = ["view_accessattempt", "delete_accessattempt", "view_accesslog"]


def grant_lockout_permissions(apps, schema_editor):
    # Permissions are normally created after all migrations; create them now to attach them.
    app_config = apps.get_app_config("axes")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    admin, _ = Group.objects.get_or_create(name="admin")
    for codename in LOCKOUT_PERMISSIONS:
        admin.permissions.add(
            Permission.objects.get(content_type__app_label="axes", codename=codename)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_district_region_permissions"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key_hash", models.CharField(editable=False, max_length=64, unique=True)),
                (
                    "prefix",
                    models.CharField(editable=False, max_length=8, verbose_name="begyndelse"),
                ),
                (
                    "created_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="udstedt"),
                ),
                ("expires_at", models.DateTimeField(verbose_name="udløber")),
                (
                    "revoked_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="tilbagekaldt"),
                ),
                (
                    "last_used_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="sidst brugt"),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="api_tokens",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="bruger",
                    ),
                ),
            ],
            options={
                "verbose_name": "API-nøgle",
                "verbose_name_plural": "API-nøgler",
                "ordering": ["-created_at"],
                "indexes": [models.Index(fields=["user", "revoked_at"], name="apitoken_user_idx")],
            },
        ),
        migrations.RunPython(grant_lockout_permissions, migrations.RunPython.noop),
    ]
