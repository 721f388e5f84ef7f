"""Lift a login lockout: ``manage.py unlock EMAIL`` (the account) or ``--address IP``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.lockout import address_lockout_lift, lockout_lift


class Command(BaseCommand):
    help = "Ophæv en login-spærring for en konto (e-mail) eller en klientadresse (--address)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", nargs="?", help="kontoens e-mail")
        parser.add_argument("--address", help="klientens IP-adresse")

    def handle(self, *args: Any, **options: Any) -> None:
        email, address = options["email"], options["address"]
        if not email and not address:
            raise CommandError("Angiv en e-mail eller --address.")
        # Run on the server: recorded as LOCKOUT_LIFTED without an actor (the system).
        if email:
            removed = lockout_lift(actor=None, email=email)
            self.stdout.write(f"{removed} fejlede forsøg fjernet for kontoen.")
        if address:
            removed = address_lockout_lift(actor=None, ip_address=address)
            self.stdout.write(f"{removed} fejlede forsøg fjernet for adressen.")
