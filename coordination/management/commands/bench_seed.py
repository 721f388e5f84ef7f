"""Generate the national benchmark dataset on an empty PostgreSQL database (issue 12)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from coordination.bench import Options, seed
from coordination.bench.copying import Timings
from persons.models import FocusPerson


class Command(BaseCommand):
    help = "Generate the national benchmark dataset (S=1.0: 100,000 persons) with COPY."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=float, default=0.01, help="1.0 is national scale")
        parser.add_argument(
            "--password", default="bench-password-123", help="the password of every bench user"
        )
        parser.add_argument(
            "--credentials",
            type=Path,
            default=Path("var/bench/users.json"),
            help="where the harness finds the bench users (JSON)",
        )

    def handle(
        self, *args: Any, scale: float, password: str, credentials: Path, **options: Any
    ) -> None:
        self._refuse_unless_safe(scale)
        timings = Timings()
        started = time.perf_counter()
        sizes = seed(Options(scale, password, credentials), timings)
        for line in timings.lines():
            self.stdout.write(line)
        total = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"bench_seed --scale {sizes.scale}: {total:.1f} s in total; users in {credentials}"
            )
        )

    def _refuse_unless_safe(self, scale: float) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "bench_seed creates users with a known password and second factor; refusing "
                "with DEBUG off."
            )
        if connection.vendor != "postgresql":
            raise CommandError(
                f"bench_seed writes with PostgreSQL COPY; the database is {connection.vendor}."
            )
        if scale <= 0:
            raise CommandError("--scale must be greater than 0.")
        if FocusPerson.objects.exists():
            raise CommandError(
                "The database already holds focus persons; bench_seed fills an empty, migrated "
                "database only."
            )
