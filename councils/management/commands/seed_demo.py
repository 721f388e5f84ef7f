"""Fill the database with demo data to click through; safe to run again (idempotent)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.demo import DEMO_PASSWORD, DEMO_TOTP_DEVICE_NAME, DEMO_TOTP_SECRET, seed_accounts
from accounts.mfa import current_code
from audit.models import ChainHead, Checkpoint
from audit.services import checkpoint_record
from audit.verify import CHAINS
from coordination.demo import seed_domain
from councils.demo import seed_councils


def _head_signed(chain: str) -> bool:
    head = ChainHead.objects.filter(chain=chain).values_list("seq", flat=True).first()
    return Checkpoint.objects.filter(chain=chain, seq=head).exists() if head else False


class Command(BaseCommand):
    help = "Create or refresh demo agencies and users (development only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even with DEBUG off (a training installation; never real data).",
        )

    def handle(self, *args: Any, allow_production: bool, **options: Any) -> None:
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "seed_demo creates users with a published password; refusing with DEBUG off "
                "(use --allow-production on a training installation)."
            )
        users = seed_accounts()
        persons_added = seed_domain()
        releases = seed_councils()
        for chain in CHAINS:  # so the DPO's overview shows a signed head at once
            if not _head_signed(chain.CHAIN):  # a second run adds nothing
                checkpoint_record(chain.CHAIN)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready. Password for every demo user: {DEMO_PASSWORD}")
        )
        for user in users:
            self.stdout.write(f"  {user.role.value:<12} {user.email:<40} {user.full_name}")
        device = TOTPDevice.objects.filter(name=DEMO_TOTP_DEVICE_NAME, confirmed=True).first()
        self.stdout.write(
            f"Second factor (TOTP) for every demo user: secret {DEMO_TOTP_SECRET} "
            "(add it to an authenticator app)"
            + (f"; code right now: {current_code(device)}" if device else "")
            + ". `manage.py demo_otp EMAIL` prints the current code."
        )
        self.stdout.write(f"Demo persons added this run: {persons_added}")
        self.stdout.write(f"Council statistics released this run: {releases}")
