"""Print the current second-factor code of a demo user (development and training only)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.demo import DEMO_TOTP_DEVICE_NAME, demo_totp_key
from accounts.mfa import current_code


class Command(BaseCommand):
    help = "Print the current TOTP code for a demo user's second factor (seed_demo's secret)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "email", help="The demo user's email, e.g. koordinator@kk.demo.tvaers.dk"
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Also with DEBUG off (a training installation seeded with --allow-production).",
        )

    def handle(self, *args: Any, email: str, allow_production: bool, **options: Any) -> None:
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "demo_otp prints codes for the published demo secret; refusing with DEBUG off "
                "(use --allow-production on a training installation)."
            )
        # Only a device holding the published demo secret: this is no way round a real
        # user's second factor.
        device = (
            TOTPDevice.objects.filter(
                user__email__iexact=email.strip(),
                name=DEMO_TOTP_DEVICE_NAME,
                key=demo_totp_key(),
                confirmed=True,
            )
            .order_by("pk")
            .first()
        )
        if device is None:
            raise CommandError(
                f"{email} has no demo second factor (run `manage.py seed_demo` first)."
            )
        self.stdout.write(current_code(device))
