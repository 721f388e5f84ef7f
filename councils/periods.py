"""The periods statistics are published for: calendar quarters and calendar years, and only
once they have ended (issue 13: nothing shorter than a quarter; a period still running would
change between two downloads)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

_CODE = re.compile(r"(?P<year>[0-9]{4})(?:-Q(?P<quarter>[1-4]))?")


@dataclass(frozen=True, order=True)
class Period:
    year: int
    quarter: int | None = None  # None: the whole year

    @classmethod
    def parse(cls, code: str) -> Period | None:
        match = _CODE.fullmatch(code or "")
        if match is None or not 2000 <= int(match["year"]) <= 2999:
            return None
        quarter = match["quarter"]
        return cls(int(match["year"]), int(quarter) if quarter else None)

    @property
    def code(self) -> str:
        return f"{self.year}-Q{self.quarter}" if self.quarter else str(self.year)

    @property
    def is_year(self) -> bool:
        return self.quarter is None

    @property
    def first_day(self) -> datetime.date:
        return datetime.date(self.year, 3 * (self.quarter - 1) + 1 if self.quarter else 1, 1)

    @property
    def end_day(self) -> datetime.date:
        """The first day after the period."""
        if self.quarter is None or self.quarter == 4:
            return datetime.date(self.year + 1, 1, 1)
        return datetime.date(self.year, 3 * self.quarter + 1, 1)

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """[start, end) as aware datetimes in the installation's time zone."""
        start = datetime.datetime.combine(self.first_day, datetime.time())
        end = datetime.datetime.combine(self.end_day, datetime.time())
        return timezone.make_aware(start), timezone.make_aware(end)

    def previous(self) -> Period:
        if self.quarter is None:
            return Period(self.year - 1)
        if self.quarter == 1:
            return Period(self.year - 1, 4)
        return Period(self.year, self.quarter - 1)

    def quarters(self) -> tuple[Period, ...]:
        if self.quarter is not None:
            return (self,)
        return tuple(Period(self.year, q) for q in range(1, 5))

    def has_ended(self, today: datetime.date | None = None) -> bool:
        return self.end_day <= (today or timezone.localdate())

    def __str__(self) -> str:
        if self.quarter is None:
            return str(self.year)
        return _("%(quarter)s. kvartal %(year)s") % {"quarter": self.quarter, "year": self.year}


def quarter_of(day: datetime.date) -> Period:
    return Period(day.year, (day.month - 1) // 3 + 1)


def ended_periods(first_year: int, today: datetime.date | None = None) -> list[Period]:
    """Every quarter and year from ``first_year`` that has ended, newest first."""
    today = today or timezone.localdate()
    found: list[Period] = []
    for year in range(first_year, today.year + 1):
        year_period = Period(year)
        found.extend(q for q in year_period.quarters() if q.has_ended(today))
        if year_period.has_ended(today):
            found.append(year_period)
    return sorted(found, key=lambda p: (p.end_day, p.is_year), reverse=True)
