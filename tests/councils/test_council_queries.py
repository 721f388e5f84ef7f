"""The council pages read a constant number of queries, whatever the amount of data behind
the figures or the number of focus areas (house rule 8)."""

from __future__ import annotations

import datetime

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from councils import statistics
from councils.models import CouncilMeeting, FocusArea, FocusAreaStatus
from councils.periods import Period
from tests.councils.conftest import District, known_answers, register

IN_Q2 = datetime.datetime(2026, 5, 12, 10, 0, tzinfo=datetime.UTC)


def queries(client, url: str) -> int:
    client.get(url)  # the first request of a session also reads what it then caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(captured)


def scope_of(d: District) -> statistics.Scope:
    return next(s for s in statistics.scopes() if s.district == d.district)


def test_statistics_page_reads_the_same_queries_for_more_data(district, client):
    known_answers(district)
    statistics.freeze(scope_of(district), Period(2026, 3))
    client.force_login(district.member)
    url = f"/raad/{district.kredsraad.pk}/statistik/?omraade=alle&periode=2026-Q3"
    few = queries(client, url)

    with time_machine.travel(IN_Q2, tick=False):
        register(district, district.ssp, district.teacher, district.school, "vold", 12, born=2010)
    statistics.freeze(scope_of(district), Period(2026, 2))
    more_areas = FocusArea.objects.create(
        plan=district.plan, title="Andet område", categories=["vold"]
    )
    more_areas.forums.set([district.ssp, district.psp])
    FocusAreaStatus.objects.create(
        area=more_areas, progress="on_track", text="I gang.", author=district.secretary
    )
    assert queries(client, url) == few


def test_council_page_and_meeting_page_are_constant_in_focus_areas(district, client):
    client.force_login(district.secretary)
    meeting = CouncilMeeting.objects.create(
        council=district.kredsraad, held_on=datetime.date(2026, 11, 2)
    )
    meeting.focus_areas.add(district.focus)
    detail = f"/raad/{district.kredsraad.pk}/"
    meeting_url = f"/raad/{district.kredsraad.pk}/moeder/{meeting.pk}/"
    before = (queries(client, detail), queries(client, meeting_url))
    for i in range(3):
        area = FocusArea.objects.create(
            plan=district.plan, title=f"Område {i}", categories=["vold"]
        )
        area.agencies.set([district.school, district.police])
        area.forums.set([district.ssp])
        FocusAreaStatus.objects.create(
            area=area, progress="delayed", text="Sent.", author=district.secretary
        )
        meeting.focus_areas.add(area)
    assert (queries(client, detail), queries(client, meeting_url)) == before


def test_the_bench_measures_a_districts_year_from_one_query(district):
    """`make bench`'s probe (bench/inproc.py) releases the ended periods and reads the largest
    district's last full year: one query for each quarter's figures, charts drawn."""
    from bench import inproc
    from bench.report import statistics_checks

    known_answers(district)
    with time_machine.travel(datetime.datetime(2027, 1, 10, 4, tzinfo=datetime.UTC), tick=False):
        measured = inproc.statistics_timings(repeat=1)
    assert measured["releases"] == 4  # 2026's quarters
    assert measured["municipalities"] == 2
    assert measured["quarters"] == ["2026-Q4", "2026-Q3", "2026-Q2", "2026-Q1"]
    assert measured["queries"] == 4
    checks = {c.name: c.passed for c in statistics_checks({"statistics": measured})}
    assert checks["council statistics: queries for a district's year"] is True
