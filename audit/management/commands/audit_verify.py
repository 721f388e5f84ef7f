"""Prove the audit trail: recompute the hash chains (reads, disclosures, account changes) and
check the signed checkpoints.

Exits 0 when intact; otherwise exits 1 naming the first bad row. ``--public-key`` checks the
checkpoints against a key obtained independently (not the one stored beside them)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.verify import verify_all
from core import crypto


class Command(BaseCommand):
    help = "Verify the audit hash chains and their signed checkpoints."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--public-key", help="Ed25519 public key (URL-safe base64) to verify checkpoints with."
        )
        parser.add_argument(
            "--print-public-key",
            action="store_true",
            help="Print this installation's public key and stop.",
        )

    def handle(
        self, *args: Any, public_key: str | None, print_public_key: bool, **options: Any
    ) -> None:
        if print_public_key:
            self.stdout.write(crypto.signing_public_key())
            return
        result = verify_all(public_key)
        if not result.ok:
            raise CommandError(
                f"Audit trail broken after {result.checked} good rows: {result.problem}"
            )
        self.stdout.write(
            self.style.SUCCESS(f"Audit trail intact: {result.checked} rows verified.")
        )
