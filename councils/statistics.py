"""Anonymous statistics for kredsråd and lokalråd (issue 13).

How the figures are made (docs/decisions/0019-council-statistics.md):
- Per police district (the universe one kredsråd member can download: the district and each
  of its municipalities), each *measure* is counted at leaf level, (row..., municipality,
  quarter), with one aggregate query per measure.
- councils.suppression builds the cube (every row and area, totals included) and hides the
  counts 1..STATISTICS_MIN_COUNT-1 ("<5") plus whatever else would let arithmetic or the
  markers' bounds recover them from totals or from the other areas; a 0 under a "<5" total
  shows as "<5" too (``masked_zeros``).
- The result is frozen as a StatisticsRelease the night after the quarter ends. Pages only
  read it: one query, whatever the size of the data. There are no year releases: a year is
  its four quarters (a year total would tie them together, decision 0019).
"""

from __future__ import annotations

import datetime
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Case, CharField, Count, F, Q, Value, When
from django.db.models.functions import ExtractYear, TruncQuarter
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, Municipality, PoliceDistrict
from audit.models import Disclosure
from coordination.models import ForumSession, Plan, PlanAction
from councils import suppression
from councils.models import Figure, StatisticsRelease
from councils.periods import Period, ended_periods
from forums.models import Forum, ForumKind
from forums.rules import PARAGRAPHS
from persons.categories import category_choices
from persons.models import CaseFile, Concern

logger = logging.getLogger(__name__)

ALL = "alle"  # the total node of a dimension (a row total, or the whole district)

AGE_BANDS: list[tuple[str, Promise, int, int | None]] = [
    ("0-11", _("Under 12 år"), 0, 11),
    ("12-14", _("12-14 år"), 12, 14),
    ("15-17", _("15-17 år"), 15, 17),
    ("18-24", _("18-24 år"), 18, 24),
    ("25+", _("25 år og derover"), 25, None),
]


def age_band(age: int) -> str:
    for code, _label, low, high in AGE_BANDS:
        if age >= low and (high is None or age <= high):
            return code
    return AGE_BANDS[0][0]


@dataclass(frozen=True)
class RowDim:
    leaves: Callable[[], list[tuple[str, Any]]]  # (code, label), read when used (settings)
    total: Any | None = None  # the label of the total row; None: rows do not add up


def _kinds() -> list[tuple[str, Any]]:
    return list(ForumKind.choices)


def _agency_kinds() -> list[tuple[str, Any]]:
    return list(Agency.Kind.choices)


def _paragraphs() -> list[tuple[str, Any]]:
    return [(p, _("§ 115, %(p)s") % {"p": p.replace("stk", "stk. ")}) for p in PARAGRAPHS]


def _outcomes() -> list[tuple[str, Any]]:
    return [
        ("on_time", _("Udført til tiden")),
        ("late", _("Udført for sent")),
        ("overdue", _("Åben efter fristen")),
    ]


def _ages() -> list[tuple[str, Any]]:
    return [(code, label) for code, label, _low, _high in AGE_BANDS]


Atoms = Counter[tuple[str, ...]]  # (row codes..., municipality code, quarter code) -> count
Window = tuple[datetime.datetime, datetime.datetime, list[int]]  # [start, end), municipalities


@dataclass(frozen=True)
class Measure:
    code: str
    rows: tuple[RowDim, ...]
    atoms: Callable[[Window], Atoms]
    # The tables shown from this measure: (table code, title, row dimension shown); other row
    # dimensions are at their total.
    tables: tuple[tuple[str, Any, int], ...] = field(default=())


def _quarter(moment: Any) -> str:
    return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"


def _count(
    rows: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], tuple[str, ...]]
) -> Atoms:
    atoms: Atoms = Counter()
    for row in rows:
        atoms[(*key(row), row["muni"], _quarter(row["q"]))] += row["n"]
    return atoms


def _concern_rows(window: Window) -> Any:
    start, end, munis = window
    return Concern.objects.filter(
        created_at__gte=start, created_at__lt=end, case_file__forum__municipality__in=munis
    ).annotate(muni=F("case_file__forum__municipality__code"), q=TruncQuarter("created_at"))


def concerns(window: Window) -> Atoms:
    """Concerns by main category (the first one chosen) and by the source agency's kind, in
    one cube: both tables are margins of it, so their totals are one cell. Counting a concern
    under every category instead would let the categories' sum bound a hidden one from below
    (it is at least the number of concerns), a relation the suppression could not see."""
    rows = (
        _concern_rows(window)
        .values("categories", "source_agency__kind", "muni", "q")
        .annotate(n=Count("id"))
    )
    known = [code for code, _label in category_choices()]
    fallback = "andet" if "andet" in known else known[-1]

    def main_category(codes: Any) -> str:
        return next((c for c in codes or [] if c in known), fallback)

    return _count(rows, lambda r: (main_category(r["categories"]), r["source_agency__kind"]))


def _case_files(window: Window, moment: str) -> Any:
    start, end, munis = window
    return CaseFile.objects.filter(
        **{f"{moment}__gte": start, f"{moment}__lt": end}, forum__municipality__in=munis
    ).annotate(muni=F("forum__municipality__code"), q=TruncQuarter(moment))


def case_files_opened(window: Window) -> Atoms:
    rows = (
        _case_files(window, "opened_at")
        .annotate(
            kind=F("forum__kind"), born=F("person__birth_year"), year=ExtractYear("opened_at")
        )
        .values("kind", "born", "year", "muni", "q")
        .annotate(n=Count("id"))
    )
    return _count(rows, lambda r: (r["kind"], age_band(r["year"] - r["born"])))


def case_files_closed(window: Window) -> Atoms:
    rows = (
        _case_files(window, "closed_at")
        .annotate(kind=F("forum__kind"))
        .values("kind", "muni", "q")
        .annotate(n=Count("id"))
    )
    return _count(rows, lambda r: (r["kind"],))


def plans_agreed(window: Window) -> Atoms:
    start, end, munis = window
    rows = (
        Plan.objects.filter(
            agreed_at_session__starts_at__gte=start,
            agreed_at_session__starts_at__lt=end,
            case_file__forum__municipality__in=munis,
        )
        .annotate(
            kind=F("case_file__forum__kind"),
            muni=F("case_file__forum__municipality__code"),
            q=TruncQuarter("agreed_at_session__starts_at"),
        )
        .values("kind", "muni", "q")
        .annotate(n=Count("id"))
    )
    return _count(rows, lambda r: (r["kind"],))


def actions_due(window: Window) -> Atoms:
    """Actions whose deadline fell in the period, as they stood when the period was frozen:
    done by the deadline, done after it, or still open. Cancelled actions do not count."""
    start, end, munis = window
    done = Q(status=PlanAction.Status.DONE)
    rows = (
        PlanAction.objects.filter(
            due_date__gte=start.date(),
            due_date__lt=end.date(),
            plan__case_file__forum__municipality__in=munis,
        )
        .exclude(status=PlanAction.Status.CANCELLED)
        .annotate(
            outcome=Case(
                When(done & Q(completed_at__date__lte=F("due_date")), then=Value("on_time")),
                When(done, then=Value("late")),
                default=Value("overdue"),
                output_field=CharField(),
            ),
            muni=F("plan__case_file__forum__municipality__code"),
            q=TruncQuarter("due_date"),
        )
        .values("outcome", "muni", "q")
        .annotate(n=Count("id"))
    )
    return _count(rows, lambda r: (r["outcome"],))


def sessions_held(window: Window) -> Atoms:
    start, end, munis = window
    rows = (
        ForumSession.objects.filter(
            starts_at__gte=start,
            starts_at__lt=end,
            forum__municipality__in=munis,
            status__in=[ForumSession.Status.HELD, ForumSession.Status.APPROVED],
        )
        .annotate(
            kind=F("forum__kind"), muni=F("forum__municipality__code"), q=TruncQuarter("starts_at")
        )
        .values("kind", "muni", "q")
        .annotate(n=Count("id"))
    )
    return _count(rows, lambda r: (r["kind"],))


def disclosures_made(window: Window) -> Atoms:
    start, end, munis = window
    forum_muni = dict(
        Forum.objects.filter(municipality__in=munis).values_list("pk", "municipality__code")
    )
    # Registering a concern is a disclosure too; those are the concerns table already, and
    # counting them here would make this table at least that one (a bound on hidden cells).
    registered = ContentType.objects.get_for_model(Concern)
    rows = (
        Disclosure.objects.filter(
            occurred_at__gte=start, occurred_at__lt=end, forum_id__in=list(forum_muni)
        )
        .exclude(source_type=registered)
        .annotate(q=TruncQuarter("occurred_at"))
        .values("paragraph", "forum_id", "q")
        .annotate(n=Count("id"))
    )
    return _count(
        ({**r, "muni": forum_muni[r["forum_id"]]} for r in rows), lambda r: (r["paragraph"],)
    )


KINDS = RowDim(_kinds, _("Alle forumtyper"))
MEASURES: tuple[Measure, ...] = (
    Measure(
        "concerns",
        (
            RowDim(category_choices, _("Alle bekymringer")),
            RowDim(_agency_kinds, _("Alle bekymringer")),
        ),
        concerns,
        (
            ("concerns_category", _("Bekymringer efter hovedkategori"), 0),
            ("concerns_source", _("Bekymringer efter den indberettende myndighed"), 1),
        ),
    ),
    Measure(
        "opened",
        (KINDS, RowDim(_ages, _("Alle aldre"))),
        case_files_opened,
        (
            ("opened_kind", _("Nye sager efter forumtype"), 0),
            ("opened_age", _("Nye sager efter personens alder"), 1),
        ),
    ),
    Measure(
        "closed",
        (KINDS,),
        case_files_closed,
        (("closed", _("Lukkede sager efter forumtype"), 0),),
    ),
    Measure(
        "plans",
        (KINDS,),
        plans_agreed,
        (("plans", _("Aftalte helhedsplaner efter forumtype"), 0),),
    ),
    Measure(
        "actions",
        (RowDim(_outcomes, _("Alle handlinger med frist i perioden")),),
        actions_due,
        (("actions", _("Handlinger i helhedsplaner"), 0),),
    ),
    Measure(
        "sessions",
        (KINDS,),
        sessions_held,
        (("sessions", _("Afholdte møder efter forumtype"), 0),),
    ),
    Measure(
        "disclosures",
        (RowDim(_paragraphs, _("Alle videregivelser")),),
        disclosures_made,
        (
            (
                "disclosures",
                _("Delte oplysninger efter § 115-stykke (notater, referater, adgange)"),
                0,
            ),
        ),
    ),
)


def min_count() -> int:
    return int(settings.STATISTICS_MIN_COUNT)


# --- freezing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The universe of one release: a police district with its municipalities, or a
    municipality that has no district."""

    district: PoliceDistrict | None
    municipalities: tuple[Municipality, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(m.code for m in self.municipalities)

    def area_dimension(self) -> suppression.Dimension:
        return suppression.Dimension(self.codes, ALL if self.district else None)

    def releases(self) -> Any:
        if self.district is not None:
            return StatisticsRelease.objects.filter(police_district=self.district)
        return StatisticsRelease.objects.filter(municipality=self.municipalities[0])


def scopes() -> list[Scope]:
    found: list[Scope] = []
    municipalities = list(Municipality.objects.order_by("code"))
    for district in PoliceDistrict.objects.order_by("pk"):
        members = tuple(m for m in municipalities if m.police_district_id == district.pk)
        if members:
            found.append(Scope(district, members))
    found.extend(Scope(None, (m,)) for m in municipalities if m.police_district_id is None)
    return found


def _row_dims(measure: Measure) -> list[suppression.Dimension]:
    dims = []
    for dim in measure.rows:
        leaves = tuple(code for code, _label in dim.leaves())
        dims.append(suppression.Dimension(leaves, ALL if dim.total is not None else None))
    return dims


def _state(cell: tuple[str, ...], hidden: dict[Any, suppression.Hidden], masked: set[Any]) -> str:
    if cell in masked:
        return Figure.Hidden.MASKED
    value = hidden.get(cell)
    if value is None:
        return Figure.Hidden.SHOWN
    return Figure.Hidden.SMALL if value is suppression.Hidden.SMALL else Figure.Hidden.SECONDARY


def masked_zeros(
    values: dict[Any, int],
    equations: Sequence[suppression.Equation],
    hidden: dict[Any, suppression.Hidden],
) -> set[Any]:
    """The zeros shown as "<5": every 0 among the parts of a "<5" total. Otherwise "<5" would
    promise at least 1, and four "<5" parts of a "<5" total would each be exactly 1. Under a
    total that is shown, or hidden as a dash, the engine already keeps each "<5" part's whole
    range, so zeros there stay 0."""
    masked: set[Any] = set()
    for equation in equations:
        if hidden.get(equation.total) is suppression.Hidden.SMALL:
            masked.update(p for p in equation.parts if values[p] == 0)
    return masked


def freeze(scope: Scope, period: Period) -> StatisticsRelease | None:
    """Compute and store the quarter ``period``'s release for ``scope``, unless it exists or
    the quarter has not ended. Quarters only: a year's total would tie its four quarters
    together, and a small total over four small quarters would pin each of them at 1
    (decision 0019); a year is shown as its quarters."""
    if period.is_year:
        raise ValueError("statistics are released per quarter")
    if not period.has_ended() or scope.releases().filter(period=period.code).exists():
        return None
    start, end = period.bounds()
    window: Window = (start, end, [m.pk for m in scope.municipalities])
    period_dim = suppression.Dimension((period.code,), None)
    figures: list[tuple[str, str, str, int, str]] = []
    for measure in MEASURES:
        dims = [*_row_dims(measure), scope.area_dimension(), period_dim]
        values, equations = suppression.cube(dims, measure.atoms(window))
        hidden = suppression.suppress(values, equations, threshold=min_count())
        masked = masked_zeros(values, equations, hidden)
        for cell, count in values.items():
            *rows, area, _period = cell
            figures.append(
                (measure.code, "|".join(rows), area, count, _state(cell, hidden, masked))
            )
    with transaction.atomic():
        release = StatisticsRelease.objects.create(
            police_district=scope.district,
            municipality=None if scope.district else scope.municipalities[0],
            period=period.code,
        )
        Figure.objects.bulk_create(
            Figure(release=release, table=t, row=r, area=a, count=n, hidden=h)
            for t, r, a, n, h in figures
        )
    return release


def freeze_all(first_year: int | None = None) -> int:
    """Every ended quarter since ``first_year`` (default: STATISTICS_FIRST_YEAR, or three
    years back), for every scope, that is not released yet. Returns how many were made. A
    scope that fails is logged and skipped: the others are still released, and the next run
    tries it again."""
    today = timezone.localdate()
    first = first_year or settings.STATISTICS_FIRST_YEAR or today.year - 3
    quarters = sorted(p for p in ended_periods(first, today) if not p.is_year)
    made = 0
    for scope in scopes():
        for period in quarters:
            try:
                made += freeze(scope, period) is not None
            except Exception:
                logger.exception("statistics release failed: %s %s", scope, period.code)
                break
    return made
