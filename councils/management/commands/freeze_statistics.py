"""Release the council statistics of every ended quarter and year now (the nightly task does
the same); for a new installation, or after STATISTICS_FIRST_YEAR was moved back."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from councils import statistics


class Command(BaseCommand):
    help = "Frys rådsstatistikken for alle afsluttede kvartaler og år, der ikke er opgjort."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--first-year", type=int, default=None)

    def handle(self, *args: Any, first_year: int | None = None, **options: Any) -> None:
        made = statistics.freeze_all(first_year)
        self.stdout.write(f"{made} opgørelser frosset.")
