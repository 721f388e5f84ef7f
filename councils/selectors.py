"""What the council pages read: councils through ``Council.restrict`` (core.permissions'
``get_object_for``/``visible_to``), and the frozen statistics of a council's area. Hidden
counts never leave this module: a hidden cell comes out as its marker, never as a number."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Agency, Municipality
from core.permissions import visible_to
from councils import charts
from councils.models import (
    CooperationPlan,
    Council,
    CouncilMeeting,
    Figure,
    FocusArea,
    FocusAreaStatus,
    StatisticsRelease,
)
from councils.periods import Period
from councils.statistics import ALL, MEASURES, min_count
from forums.models import Forum, ForumKind
from persons.categories import category_choices

Shown = int | str  # a count, or the marker of a hidden one ("<5", or an en dash)
SECONDARY_MARKER = "\u2013"
NOT_RELEASED = gettext_lazy("ikke opgjort")


def small_marker() -> str:
    return f"<{min_count()}"


@dataclass(frozen=True)
class StatRow:
    label: str
    current: Shown
    previous: Shown
    is_total: bool = False


@dataclass
class StatTable:
    code: str
    title: str
    rows: list[StatRow] = field(default_factory=list)


@dataclass
class AreaChoice:
    code: str
    name: str


@dataclass
class Statistics:
    council: Council
    area: AreaChoice
    period: Period
    previous: Period
    released: bool
    previous_released: bool
    tables: list[StatTable]

    def table(self, code: str) -> StatTable:
        return next(t for t in self.tables if t.code == code)


def areas_of(council: Council) -> list[AreaChoice]:
    """The areas a council follows: its district as a whole, then each municipality."""
    municipalities = list(council.municipalities().order_by("name"))
    if council.kind == Council.Kind.KREDSRAAD:
        name = council.police_district.name if council.police_district else ""
        return [AreaChoice(ALL, _("Hele %(district)s") % {"district": name})] + [
            AreaChoice(m.code, m.name) for m in municipalities
        ]
    return [AreaChoice(m.code, m.name) for m in municipalities]


def _releases(council: Council, municipality: Municipality | None) -> QuerySet[StatisticsRelease]:
    """The releases whose cells hold the council's figures: its police district's, or, for a
    municipality with no district, the municipality's own."""
    if council.police_district_id is not None:
        return StatisticsRelease.objects.filter(police_district_id=council.police_district_id)
    if municipality is None:
        return StatisticsRelease.objects.none()
    if municipality.police_district_id is not None:
        return StatisticsRelease.objects.filter(police_district_id=municipality.police_district_id)
    return StatisticsRelease.objects.filter(municipality=municipality)


def released_periods(council: Council) -> list[Period]:
    municipality = council.municipality
    codes = _releases(council, municipality).values_list("period", flat=True).distinct()
    periods = [p for p in (Period.parse(c) for c in codes) if p is not None]
    return sorted(periods, key=lambda p: (p.end_day, p.is_year), reverse=True)


def _shown(count: int, hidden: str) -> Shown:
    if hidden in (Figure.Hidden.SMALL, Figure.Hidden.MASKED):
        return small_marker()
    if hidden == Figure.Hidden.SECONDARY:
        return SECONDARY_MARKER
    return count


def _labels(measure_code: str, dim: int) -> list[tuple[str, str]]:
    measure = next(m for m in MEASURES if m.code == measure_code)
    return [(code, str(label)) for code, label in measure.rows[dim].leaves()]


def statistics_for(*, council: Council, area: AreaChoice, period: Period) -> Statistics:
    """The council's tables for ``area`` and ``period`` beside the previous period: one query
    for both periods' cells, whatever the size of the data."""
    municipality = council.municipality
    previous = period.previous()
    cells: dict[tuple[str, str, str], Shown] = {}
    released: set[str] = set()
    rows = Figure.objects.filter(
        release__in=_releases(council, municipality).filter(
            period__in=[period.code, previous.code]
        ),
        area=area.code,
    ).values_list("release__period", "table", "row", "count", "hidden")
    for release_period, table_code, row_key, count, hidden in rows:
        released.add(release_period)
        cells[(release_period, table_code, row_key)] = _shown(count, hidden)

    def value(p: Period, table: str, row: str) -> Shown:
        if p.code not in released:
            return str(NOT_RELEASED)
        return cells.get((p.code, table, row), 0)

    tables = []
    for measure in MEASURES:
        for table_code, title, dim in measure.tables:
            table = StatTable(table_code, str(title))
            others = [ALL] * len(measure.rows)
            for code, label in _labels(measure.code, dim):
                key = others.copy()
                key[dim] = code
                row = "|".join(key)
                table.rows.append(
                    StatRow(
                        label, value(period, measure.code, row), value(previous, measure.code, row)
                    )
                )
            total_label = measure.rows[dim].total
            if total_label is not None:
                row = "|".join(others)
                table.rows.append(
                    StatRow(
                        str(total_label),
                        value(period, measure.code, row),
                        value(previous, measure.code, row),
                        is_total=True,
                    )
                )
            tables.append(table)
    return Statistics(
        council=council,
        area=area,
        period=period,
        previous=previous,
        released=period.code in released,
        previous_released=previous.code in released,
        tables=tables,
    )


def charted(stats: Statistics) -> list[tuple[StatTable, Any]]:
    """Each table with its chart (the page, the PDF and the bench draw them alike)."""
    return [
        (
            table,
            charts.bar_chart(
                title=table.title,
                rows=[charts.Bar(r.label, r.current, r.previous) for r in table.rows],
                table_id=f"tabel-{table.code}",
                current_label=str(stats.period),
                previous_label=str(stats.previous),
            ),
        )
        for table in stats.tables
    ]


@dataclass
class FocusFigures:
    area: FocusArea
    rows: list[StatRow]


def focus_figures(stats: Statistics, areas: list[FocusArea]) -> list[FocusFigures]:
    """For each focus area, the rows of its concern categories and of its forums' kinds, as
    the tables show them (the same cells: no new sum, so nothing new to protect)."""
    categories = dict(category_choices())
    kinds = dict(ForumKind.choices)
    by_category = {r.label: r for r in stats.table("concerns_category").rows}
    by_kind = {r.label: r for r in stats.table("opened_kind").rows}
    result = []
    for area in areas:
        rows = [by_category[str(categories[c])] for c in area.categories if c in categories]
        forum_kinds = sorted({f.kind for f in area.forums.all()})
        rows += [by_kind[str(kinds[k])] for k in forum_kinds if str(kinds.get(k)) in by_kind]
        result.append(FocusFigures(area, rows))
    return result


def current_plan(council: Council) -> CooperationPlan | None:
    """The council's newest plan with its focus areas, their agencies, forums and latest status
    (a fixed number of queries)."""
    statuses = FocusAreaStatus.objects.select_related("meeting").order_by("-written_on", "-pk")
    areas = FocusArea.objects.prefetch_related(
        "agencies", "forums", Prefetch("statuses", queryset=statuses)
    )
    return (
        CooperationPlan.objects.filter(council=council)
        .prefetch_related(Prefetch("areas", queryset=areas))
        .first()
    )


def meetings_of(council: Council) -> QuerySet[CouncilMeeting]:
    return CouncilMeeting.objects.filter(council=council)


def council_list(user: Any) -> QuerySet[Council]:
    return visible_to(user, Council.objects.select_related("police_district", "municipality"))


def area_forums(council: Council) -> QuerySet[Forum]:
    """The forums a focus area of ``council`` may concern: those of its municipalities."""
    return Forum.objects.filter(municipality__in=council.municipalities()).order_by("name")


def area_agencies(council: Council) -> QuerySet[Agency]:
    """The agencies a focus area of ``council`` may name as responsible: those that serve one
    of its municipalities (their own, or their whole police district or region)."""
    places = list(council.municipalities().values_list("pk", "police_district_id", "region_id"))
    served = Q(municipality_id__in=[pk for pk, _district, _region in places])
    served |= Q(police_district_id__in=[d for _pk, d, _region in places if d is not None])
    served |= Q(region_id__in=[r for _pk, _district, r in places if r is not None])
    return Agency.objects.filter(served).order_by("name")
