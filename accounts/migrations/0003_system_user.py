"""The system actor: background tasks change data in its name (django-auditlog's actor).

It cannot log in (inactive, unusable password) and belongs to no agency or role."""

from django.contrib.auth.hashers import make_password
from django.db import migrations

SYSTEM_EMAIL = "system@tvaers.invalid"


def create(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    User.objects.get_or_create(
        email=SYSTEM_EMAIL,
        defaults={
            "full_name": "Tværs (system)",
            "is_active": False,
            "password": make_password(None),
        },
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_roles")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
