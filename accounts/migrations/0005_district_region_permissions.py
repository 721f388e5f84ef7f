"""The administrator role manages police districts and regions as it manages municipalities."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

NAMES = [
    f"accounts.{verb}_{model}"
    for model in ("policedistrict", "region")
    for verb in ("view", "add", "change")
]


def assign(apps, schema_editor):
    # Permissions are normally created after all migrations; create them now to attach them.
    app_config = apps.get_app_config("accounts")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    admin, _ = Group.objects.get_or_create(name="admin")
    for name in NAMES:
        app_label, codename = name.split(".")
        admin.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_police_districts_and_regions"),
        ("coordination", "0003_role_permissions"),
    ]

    operations = [migrations.RunPython(assign, migrations.RunPython.noop)]
