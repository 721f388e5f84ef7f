"""AccountEvent: the hash-chained record of changes to accounts, append-only like the other
audit tables (0002): plain SQL triggers, ENABLE ALWAYS, refusing UPDATE, DELETE and TRUNCATE.
The trigger function tvaers_audit_append_only() is 0002's; this migration only attaches it."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

TABLE = "audit_accountevent"


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        if vendor == "postgresql":
            for statement in [
                f"CREATE TRIGGER {TABLE}_no_change BEFORE UPDATE OR DELETE ON {TABLE} "
                "FOR EACH ROW EXECUTE FUNCTION tvaers_audit_append_only()",
                f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
                "FOR EACH STATEMENT EXECUTE FUNCTION tvaers_audit_append_only()",
                f"ALTER TABLE {TABLE} ENABLE ALWAYS TRIGGER {TABLE}_no_change",
                f"ALTER TABLE {TABLE} ENABLE ALWAYS TRIGGER {TABLE}_no_truncate",
            ]:
                cursor.execute(statement)
        elif vendor == "sqlite":
            for op in ("UPDATE", "DELETE"):
                cursor.execute(
                    f"CREATE TRIGGER {TABLE}_no_{op.lower()} BEFORE {op} ON {TABLE} BEGIN "
                    f"SELECT RAISE(ABORT, 'audit table {TABLE} is append-only: {op} refused'); END"
                )


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_change ON {TABLE}")
            cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}")
        elif vendor == "sqlite":
            cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_update")
            cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_delete")


class Migration(migrations.Migration):
    dependencies = [
        # Agency exists since accounts' first migration; no need to wait for later ones.
        ("accounts", "0003_system_user"),
        # Keeps the graph linear after the pseudonym alias migration.
        ("audit", "0003_pseudonym_alias"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AccountEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.BigIntegerField(editable=False, unique=True)),
                ("prev_hash", models.CharField(editable=False, max_length=64)),
                ("row_hash", models.CharField(editable=False, max_length=64)),
                (
                    "occurred_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="tidspunkt"
                    ),
                ),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("created", "Oprettet"),
                            ("password_changed", "Adgangskode ændret"),
                            ("roles_changed", "Roller ændret"),
                            ("permissions_changed", "Rettigheder ændret"),
                            ("agency_changed", "Myndighed ændret"),
                            ("activated", "Aktiveret"),
                            ("deactivated", "Deaktiveret"),
                            ("staff_changed", "Adgang til administration ændret"),
                            ("superuser_changed", "Superbruger ændret"),
                            ("membership_added", "Medlemskab tilføjet"),
                            ("membership_ended", "Medlemskab afsluttet"),
                            ("membership_changed", "Medlemskab ændret"),
                        ],
                        max_length=32,
                        verbose_name="handling",
                    ),
                ),
                ("details", models.JSONField(default=dict, verbose_name="detaljer")),
                ("request_id", models.CharField(blank=True, max_length=64)),
                ("ip_address", models.GenericIPAddressField(blank=True, null=True)),
                (
                    "actor",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "actor_agency",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.agency",
                    ),
                ),
                (
                    "target",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="bruger",
                    ),
                ),
            ],
            options={
                "verbose_name": "kontoændring",
                "verbose_name_plural": "kontoændringer",
                "ordering": ["-occurred_at", "-id"],
                "indexes": [
                    models.Index(fields=["target", "-occurred_at"], name="account_target_idx"),
                    models.Index(fields=["actor", "-occurred_at"], name="account_actor_idx"),
                ],
            },
        ),
        migrations.RunPython(install, remove),
    ]
