"""Re-wrap every data key under the newest master key of FIELD_ENCRYPTION_KEYS.

Online and resumable: each batch is its own transaction and skips rows other processes hold,
and rows already under the newest key are not touched, so the command can be stopped and
started again at any point while the system serves. Content is never decrypted; only the
data keys are unwrapped and wrapped again.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from core import crypto
from core.models import DataKey


class Command(BaseCommand):
    help = "Re-wrap all data keys under the newest master key (FIELD_ENCRYPTION_KEYS)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        newest = crypto.newest_master_key_id()
        total = 0
        while True:
            with transaction.atomic():
                batch = list(
                    DataKey.objects.select_for_update(skip_locked=True)
                    .filter(wrapped__isnull=False)
                    .exclude(master_key_id=newest)
                    .order_by("id")[:batch_size]
                )
                for data_key in batch:
                    data_key.rewrap()
            total += len(batch)
            if len(batch) < batch_size:
                break
        remaining = (
            DataKey.objects.filter(wrapped__isnull=False).exclude(master_key_id=newest).count()
        )
        self.stdout.write(
            f"Re-wrapped {total} data keys under {newest}; {remaining} left (held by others)."
        )
