"""Delete what retention says is due (persons.retention); the nightly beat task does the same.

manage.py apply_retention [--dry-run]
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from persons.retention import apply_retention


class Command(BaseCommand):
    help = "Slet sager (og personer uden sager), som opbevaringsreglerne siger skal slettes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Tæl kun; slet intet.")

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        run = apply_retention(dry_run=dry_run)
        if dry_run:
            self.stdout.write(f"{run.due} case files are due for deletion (nothing deleted).")
            return
        self.stdout.write(
            f"Deleted {run.deleted_case_files} case files and {run.deleted_persons} persons "
            f"({run.due} were due)."
        )
