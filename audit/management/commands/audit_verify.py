"""Prove the audit trail: recompute the hash chains (reads, disclosures, account changes) and
check the signed checkpoints.

Exits 0 when intact; otherwise exits 1 naming the first bad row or checkpoint. A pruned chain
is verified from its newest signed cut (docs/audit-retention.md). Checkpoints are
checked against AUDIT_PUBLIC_KEY, or against ``--public-key`` (a key obtained independently);
never against the key stored beside them."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.verify import verify_all
from core import crypto


class Command(BaseCommand):
    help = "Verify the audit hash chains and their signed checkpoints."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--public-key",
            help="Ed25519 public key(s), URL-safe base64, comma-separated, to verify checkpoints "
            "with instead of AUDIT_PUBLIC_KEY.",
        )
        parser.add_argument(
            "--print-public-key",
            action="store_true",
            help="Print the public half of this process's AUDIT_SIGNING_KEY and stop.",
        )

    def handle(
        self, *args: Any, public_key: str | None, print_public_key: bool, **options: Any
    ) -> None:
        if print_public_key:
            try:
                self.stdout.write(crypto.signing_public_key())
            except crypto.SigningKeyMissing as exc:
                raise CommandError(str(exc)) from exc
            return
        keys = None
        if public_key is not None:
            keys = [part.strip() for part in public_key.split(",") if part.strip()]
            if not keys:
                raise CommandError("--public-key is empty.")
        result = verify_all(keys)
        if not result.ok:
            raise CommandError(
                f"Audit trail broken after {result.checked} good rows: {result.problem}"
            )
        self.stdout.write(
            self.style.SUCCESS(f"Audit trail intact: {result.checked} rows verified.")
        )
