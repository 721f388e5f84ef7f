"""Council statistics: exact figures on a dataset with known answers, per table, per chart and
in the CSV; releases only for ended periods, frozen once."""

from __future__ import annotations

import csv
import datetime
import io
import re
from html.parser import HTMLParser

import pytest
import time_machine

from audit.models import AccessEvent
from councils import statistics
from councils.models import Figure, StatisticsRelease
from councils.periods import Period
from tests.councils.conftest import IN_Q3, District, known_answers, register

Q3 = Period(2026, 3)
Q2 = Period(2026, 2)


@pytest.fixture
def released(district: District) -> District:
    known_answers(district)
    scope = next(s for s in statistics.scopes() if s.district == district.district)
    for period in (Q2, Q3):
        assert statistics.freeze(scope, period) is not None
    return district


class Tables(HTMLParser):
    """The statistics page's tables: {table id: [(row label, current, previous)]}."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[tuple[str, ...]]] = {}
        self.table: str | None = None
        self.row: list[str] | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and (ident := dict(attrs).get("id")):
            self.table = ident
            self.tables[ident] = []
        elif tag == "tr" and self.table:
            self.row = []
        elif tag in {"td", "th"} and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"} and self.row is not None and self.cell is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "tr" and self.table and self.row is not None:
            self.tables[self.table].append(tuple(self.row))
            self.row = None
        elif tag == "table":
            self.table = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def page_tables(html: str) -> dict[str, list[tuple[str, ...]]]:
    parser = Tables()
    parser.feed(html)
    return {k: rows[1:] for k, rows in parser.tables.items() if k.startswith("tabel-")}


def rows_of(tables: dict[str, list[tuple[str, ...]]], table: str) -> dict[str, tuple[str, str]]:
    return {label: (current, previous) for label, current, previous in tables[f"tabel-{table}"]}


def get(client, d: District, **params: str):
    client.force_login(d.member)
    return client.get(f"/raad/{d.kredsraad.pk}/statistik/", params)


def test_district_figures_are_exact(released, client):
    response = get(client, released, omraade="alle", periode="2026-Q3")
    assert response.status_code == 200
    tables = page_tables(response.content.decode())

    category = rows_of(tables, "concerns_category")
    assert category["Vold og trusler"] == ("7", "0")
    assert category["Psykisk sårbarhed"] == ("6", "0")
    assert category["Hærværk"] == ("0", "0")
    source = rows_of(tables, "concerns_source")
    assert source["Skole"] == ("7", "0")
    assert source["Socialforvaltning"] == ("6", "0")
    assert source["Politi"] == ("0", "0")
    assert source["Alle bekymringer"] == ("13", "0")
    kinds = rows_of(tables, "opened_kind")
    assert kinds["SSP"] == ("7", "0")
    assert kinds["PSP"] == ("6", "0")
    assert kinds["Alle forumtyper"] == ("13", "0")
    ages = rows_of(tables, "opened_age")
    assert ages["15-17 år"] == ("7", "0")
    assert ages["25 år og derover"] == ("6", "0")
    assert ages["Under 12 år"] == ("0", "0")
    # The police's shared notes (stk. 1); registering a concern is a disclosure too, but it
    # is counted as a concern, not again here.
    disclosures = rows_of(tables, "disclosures")
    assert disclosures["§ 115, stk. 1"] == ("5", "0")
    assert disclosures["§ 115, stk. 2"] == ("0", "0")
    assert disclosures["Alle videregivelser"] == ("5", "0")
    for table in ("closed", "plans", "sessions", "actions"):
        assert {current for current, _previous in rows_of(tables, table).values()} == {"0"}


def test_each_municipality_has_its_own_figures(released, client):
    aby = page_tables(get(client, released, omraade="901", periode="2026-Q3").content.decode())
    bby = page_tables(get(client, released, omraade="902", periode="2026-Q3").content.decode())
    assert rows_of(aby, "opened_kind")["SSP"] == ("7", "0")
    assert rows_of(aby, "opened_kind")["PSP"] == ("0", "0")
    assert rows_of(bby, "opened_kind")["PSP"] == ("6", "0")
    assert rows_of(bby, "concerns_source")["Alle bekymringer"] == ("6", "0")


def test_each_chart_shows_the_numbers_of_its_table(released, client):
    html = get(client, released, omraade="alle", periode="2026-Q3").content.decode()
    tables = page_tables(html)
    charts = dict(re.findall(r'<svg[^>]*aria-describedby="(tabel-[a-z_]+)"(.*?)</svg>', html, re.S))
    assert set(charts) == set(tables)
    for table_id, svg in charts.items():
        texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
        for label, current, previous in tables[table_id]:
            assert current in texts and previous in texts, (table_id, label)


def test_csv_equals_the_page(released, client):
    for area in ("alle", "901", "902"):
        page = get(client, released, omraade=area, periode="2026-Q3")
        tables = page_tables(page.content.decode())
        download = client.get(
            f"/raad/{released.kredsraad.pk}/statistik.csv", {"omraade": area, "periode": "2026-Q3"}
        )
        assert download.status_code == 200
        assert download["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(download.content.decode()), delimiter=";"))[1:]
        from_page = [row for table in tables.values() for row in table]
        assert [(r[1], r[4], r[6]) for r in rows] == from_page


def test_the_pdf_is_made_and_every_view_is_an_aggregate_audit_event(released, client):
    before = AccessEvent.objects.filter(action="view_statistics").count()
    get(client, released, omraade="901", periode="2026-Q3")
    pdf = client.get(
        f"/raad/{released.kredsraad.pk}/statistik.pdf", {"omraade": "901", "periode": "2026-Q3"}
    )
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    events = list(AccessEvent.objects.filter(action="view_statistics").order_by("id"))[before:]
    assert len(events) == 2
    for event in events:
        assert event.actor == released.member
        assert event.person_ids == [] and event.person_pseudonyms == []
        assert event.object_ids == [str(released.kredsraad.pk)]
        assert event.search_criterion == "901 2026-Q3"


def test_only_ended_periods_are_released_and_a_release_never_changes(district):
    known_answers(district)
    scope = next(s for s in statistics.scopes() if s.district == district.district)
    with time_machine.travel(datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC), tick=False):
        assert statistics.freeze(scope, Period(2026, 4)) is None  # still running
        release = statistics.freeze(scope, Q3)
    assert release is not None
    before = list(
        Figure.objects.filter(release=release).values_list(
            "table", "row", "area", "count", "hidden"
        )
    )
    # A concern registered later, even dated in the quarter, changes nothing released.
    with time_machine.travel(IN_Q3 + datetime.timedelta(days=1), tick=False):
        register(district, district.ssp, district.teacher, district.school, "vold", 1, born=2012)
    assert statistics.freeze(scope, Q3) is None
    after = list(
        Figure.objects.filter(release=release).values_list(
            "table", "row", "area", "count", "hidden"
        )
    )
    assert after == before
    assert StatisticsRelease.objects.filter(period="2026-Q3").count() == 1


def test_quarters_are_released_and_years_never_are(district):
    """A year's total would tie its four quarters together: four "<5" quarters under a "<5"
    year would each be exactly 1. A year is shown as its quarters."""
    known_answers(district)
    with time_machine.travel(datetime.datetime(2027, 1, 5, 3, tzinfo=datetime.UTC), tick=False):
        made = statistics.freeze_all(2026)
        scope = next(s for s in statistics.scopes() if s.district == district.district)
        with pytest.raises(ValueError):
            statistics.freeze(scope, Period(2026))
    assert made == 4
    assert sorted(StatisticsRelease.objects.values_list("period", flat=True)) == [
        "2026-Q1",
        "2026-Q2",
        "2026-Q3",
        "2026-Q4",
    ]


def test_a_zero_beside_a_small_count_shows_as_small_too(district, client):
    """Otherwise "<5" would promise at least 1: four "<5" age bands under a "<5" total would
    each be exactly 1 (found by the attacker's review)."""
    d = district
    with time_machine.travel(IN_Q3, tick=False):
        for born in (2016, 2013, 2010):  # aged 10, 13 and 16
            register(d, d.ssp, d.teacher, d.school, "vold", 1, born=born)
        register(d, d.psp, d.social_worker, d.social, "psykisk_saarbarhed", 1, born=2006)
    statistics.freeze(next(s for s in statistics.scopes() if s.district == d.district), Q3)
    ages = rows_of(
        page_tables(get(client, d, omraade="alle", periode="2026-Q3").content.decode()),
        "opened_age",
    )
    assert {current for current, _previous in ages.values()} == {"<5"}
    masked = Figure.objects.get(table="opened", row="alle|25+", area="alle")
    assert (masked.count, masked.hidden) == (0, Figure.Hidden.MASKED)
