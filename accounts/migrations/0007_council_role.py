"""The council role (accounts.roles.Role.COUNCIL): kredsråd and lokalråd members."""

from django.db import migrations


def create_role(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="council")


def remove_role(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="council").delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_api_token")]

    operations = [migrations.RunPython(create_role, remove_role)]
