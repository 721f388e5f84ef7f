"""Re-wrap every data key under the newest master key of FIELD_ENCRYPTION_KEYS.

Online and resumable: each batch is its own transaction and skips rows other processes hold,
and rows already under the newest key are not touched, so the command can be stopped and
started again at any point while the system serves. Content is never decrypted; only the
data keys are unwrapped and wrapped again.

``--retire KEY_ID`` re-wraps and then verifies that no live data key is wrapped by KEY_ID any
more, and names the entry to remove from FIELD_ENCRYPTION_KEYS; once the key is gone, the
wrapped data keys in old backups cannot be unwrapped (docs/backups.md). ``--check`` writes
nothing: it counts the live data keys per master key and fails when any is not wrapped by the
newest key (the pre-flight before removing a key: a missing key fails only when data is read).

Key ids are printed, never keys.
"""

from collections import Counter
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from core import crypto
from core.models import DataKey


def _data_keys(count: int) -> str:
    return f"{count} live data key{'' if count == 1 else 's'}"


def _live_counts() -> Counter[str]:
    """Live (not destroyed) data keys per master key id, in one query."""
    rows = (
        DataKey.objects.filter(wrapped__isnull=False)
        .values_list("master_key_id")
        .annotate(count=Count("id"))
        .order_by()
    )
    return Counter(dict(rows))


class Command(BaseCommand):
    help = (
        "Re-wrap all data keys under the newest master key (FIELD_ENCRYPTION_KEYS); "
        "--retire KEY_ID then verifies nothing is wrapped by KEY_ID; --check only counts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--retire",
            metavar="KEY_ID",
            default=None,
            help="After re-wrapping, verify no live data key is wrapped by KEY_ID and say which "
            "entry to remove from FIELD_ENCRYPTION_KEYS.",
        )
        mode.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; count live data keys per master key id; exit 1 if any is not "
            "wrapped by the newest key.",
        )

    def handle(
        self,
        *args: Any,
        batch_size: int,
        retire: str | None = None,
        check: bool = False,
        **options: Any,
    ) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if check:
            self._check()
            return
        if retire is not None:
            self._refuse_unretirable(retire)
        started = timezone.now()
        newest = crypto.newest_master_key_id()
        total = self._rewrap(batch_size)
        counts = _live_counts()
        configured = crypto.master_key_ids()
        remaining = sum(n for key_id, n in counts.items() if key_id in configured[1:])
        self.stdout.write(
            f"Re-wrapped {total} data keys under {newest}; {remaining} left (held by others)."
        )
        if retire is not None:
            self._confirm_retired(retire, counts[retire], started)
        self._refuse_unconfigured(counts, configured)

    def _rewrap(self, batch_size: int) -> int:
        # Only keys wrapped by a configured older key can be re-wrapped; those under a key that
        # is no longer configured are reported afterwards instead of failing a batch.
        older = crypto.master_key_ids()[1:]
        total = 0
        while older:
            with transaction.atomic():
                batch = list(
                    DataKey.objects.select_for_update(skip_locked=True)
                    .filter(wrapped__isnull=False, master_key_id__in=older)
                    .order_by("id")[:batch_size]
                )
                for data_key in batch:
                    data_key.rewrap()
            total += len(batch)
            if len(batch) < batch_size:
                break
        return total

    def _refuse_unretirable(self, key_id: str) -> None:
        if not key_id.isidentifier():
            # Never echo it: it may be a key or an 'id:key' entry pasted by mistake.
            raise CommandError(
                "--retire takes the id of a master key (letters, digits, _), not a key or an "
                "'id:key' entry."
            )
        configured = crypto.master_key_ids()
        if key_id == configured[0]:
            raise CommandError(
                f"{key_id} is the newest master key and wraps every new data key; it cannot be "
                "retired. Add a new key first (python -m config.keys), put it first in "
                "FIELD_ENCRYPTION_KEYS on every process, then run "
                f"'manage.py rotate_keys --retire {key_id}'."
            )
        if key_id not in configured:
            live = _live_counts()[key_id]
            if live:
                raise CommandError(
                    f"{key_id} is not in FIELD_ENCRYPTION_KEYS, yet {_data_keys(live)} "
                    f"{'is' if live == 1 else 'are'} wrapped by it and cannot be read. Add "
                    f"{key_id} back (after the newest key) and run this again."
                )
            raise CommandError(
                f"Unknown master key id {key_id}: FIELD_ENCRYPTION_KEYS holds "
                f"{', '.join(configured)}. No live data key is wrapped by {key_id}; if it was "
                "removed after an earlier retirement, there is nothing left to do."
            )

    def _confirm_retired(self, key_id: str, left: int, started: datetime) -> None:
        if left:
            fresh = DataKey.objects.filter(
                wrapped__isnull=False, master_key_id=key_id, created_at__gte=started
            ).count()
            hint = (
                f" {fresh} of them were created while this ran: a process still wraps new data "
                f"keys with {key_id}. Deploy the new FIELD_ENCRYPTION_KEYS to every process "
                "(web, worker, beat) first."
                if fresh
                else " Other transactions held them; run again."
            )
            raise CommandError(
                f"{_data_keys(left)} {'is' if left == 1 else 'are'} still wrapped by "
                f"{key_id}; keep {key_id} in FIELD_ENCRYPTION_KEYS.{hint}"
            )
        remaining = [k for k in crypto.master_key_ids() if k != key_id]
        entries = ",".join(f"{k}:<key>" for k in remaining)
        self.stdout.write(
            f"No live data key is wrapped by {key_id} any more.\n"
            f"Remove the entry '{key_id}:<key>' from FIELD_ENCRYPTION_KEYS, so that it reads\n"
            f"  FIELD_ENCRYPTION_KEYS={entries}\n"
            "on every process (web, worker, beat) and in the secret store, restart them, and "
            f"destroy every other copy of {key_id}'s key. From then on the data keys in backups "
            f"wrapped by {key_id} cannot be unwrapped (docs/backups.md)."
        )

    def _refuse_unconfigured(self, counts: Counter[str], configured: list[str]) -> None:
        lost = {key_id: n for key_id, n in counts.items() if key_id not in configured and n}
        if lost:
            listed = ", ".join(f"{key_id}: {n}" for key_id, n in sorted(lost.items()))
            raise CommandError(
                f"Live data keys are wrapped by master keys that are not configured ({listed}); "
                "what they protect cannot be read or re-wrapped. Add those keys back to "
                "FIELD_ENCRYPTION_KEYS (after the newest) and run this again."
            )

    def _check(self) -> None:
        counts = _live_counts()
        configured = crypto.master_key_ids()
        newest = configured[0]
        for key_id in configured:
            if key_id == newest:
                self.stdout.write(f"{key_id} (newest): {_data_keys(counts[key_id])}")
            elif counts[key_id]:
                self.stdout.write(f"{key_id}: {_data_keys(counts[key_id])}")
            else:
                self.stdout.write(
                    f"{key_id}: {_data_keys(0)} (can be retired: rotate_keys --retire {key_id})"
                )
        lost = sorted(key_id for key_id in counts if key_id not in configured and counts[key_id])
        for key_id in lost:
            self.stdout.write(
                f"{key_id} (NOT CONFIGURED): {_data_keys(counts[key_id])}, unreadable"
            )
        destroyed = DataKey.objects.filter(wrapped__isnull=True).count()
        self.stdout.write(f"destroyed: {destroyed} data key{'' if destroyed == 1 else 's'}")
        behind = sum(n for key_id, n in counts.items() if key_id != newest)
        if lost:
            raise CommandError(
                f"{_data_keys(behind)} not wrapped by the newest master key {newest}, some by "
                f"keys not configured ({', '.join(lost)}): add those back to "
                "FIELD_ENCRYPTION_KEYS, then run 'manage.py rotate_keys'.",
                returncode=1,
            )
        if behind:
            raise CommandError(
                f"{_data_keys(behind)} not wrapped by the newest master key {newest}: run "
                "'manage.py rotate_keys' before removing any key.",
                returncode=1,
            )
        self.stdout.write(f"OK: every live data key is wrapped by the newest master key {newest}.")
