"""The administrator role sets councils up in Django admin: councils with their members, and
plans with their focus areas (status entries and meetings are the secretary's, on the council
pages; released statistics are never edited)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

NAMES = [
    f"councils.{verb}_{model}"
    for model in ("council", "councilmembership", "cooperationplan", "focusarea")
    for verb in ("view", "add", "change", "delete")
]


def assign(apps, schema_editor):
    # Permissions are normally created after all migrations; create them now to attach them.
    app_config = apps.get_app_config("councils")
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
        ("councils", "0001_initial"),
        ("accounts", "0007_council_role"),
    ]

    operations = [migrations.RunPython(assign, migrations.RunPython.noop)]
