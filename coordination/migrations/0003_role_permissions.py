"""Attach model permissions to the role groups (accounts.roles).

What a role may do at all; which forum or person is decided per object in core.permissions.
DPO and admin get no permission on content models.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "coordinator": [
        "forums.view_forum",
        "forums.add_forum",
        "forums.change_forum",
        "forums.view_membership",
        "forums.add_membership",
        "forums.change_membership",
        "persons.view_focusperson",
        "persons.view_casefile",
        "persons.add_casefile",
        "persons.change_casefile",
        "persons.view_concern",
        "persons.add_concern",
        "coordination.view_note",
        "coordination.add_note",
        "coordination.change_note",
    ],
    "member": [
        "forums.view_forum",
        "forums.view_membership",
        "persons.view_focusperson",
        "persons.view_casefile",
        "persons.view_concern",
        "persons.add_concern",
        "coordination.view_note",
        "coordination.add_note",
        "coordination.change_note",
    ],
    "dpo": ["audit.view_accessevent", "audit.view_disclosure"],
    "admin": [
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_agency",
        "accounts.add_agency",
        "accounts.change_agency",
        "accounts.view_municipality",
        "accounts.add_municipality",
        "accounts.change_municipality",
        "forums.view_forum",
        "forums.add_forum",
        "forums.change_forum",
        "forums.view_membership",
        "forums.add_membership",
        "forums.change_membership",
    ],
}


def assign(apps, schema_editor):
    # Permissions are normally created after all migrations; create them now to attach them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for name in names:
            app_label, codename = name.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("coordination", "0002_initial"),
        ("persons", "0001_initial"),
        ("forums", "0001_initial"),
        ("audit", "0001_initial"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunPython(assign, migrations.RunPython.noop)]
