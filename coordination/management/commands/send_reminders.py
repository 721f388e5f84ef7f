"""Run the reminder sweep by hand (the same sweep beat runs each morning)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from coordination import reminders


class Command(BaseCommand):
    help = "Send the plan-action reminders due today (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be sent; send nothing."
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        done = reminders.sweep(dry_run=dry_run) + reminders.release_sweep(dry_run=dry_run)
        verb = "would send" if dry_run else "sent"
        for reminder in done:
            self.stdout.write(
                f"{verb}: action {reminder.action_id} {reminder.kind} (due {reminder.due_date})"
            )
        self.stdout.write(f"{len(done)} reminders {verb}.")
