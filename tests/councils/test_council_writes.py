"""The secretary keeps the council's samarbejdsplan on the council pages: the plan, its focus
areas (issue 13). Members read; another council, a foreign forum or agency, or an unknown
category changes nothing."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.test import Client

from accounts.models import Agency
from councils import services
from councils.models import CooperationPlan, FocusArea
from forums.models import Forum
from tests.councils.conftest import District, neighbour

pytestmark = pytest.mark.django_db


def area_data(d: District, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Unge og kriminalitet",
        "description": "Færre unge i gentagen kriminalitet.",
        "agencies": [d.police.pk, d.social.pk],
        "forums": [d.ssp.pk, d.psp.pk],
        "categories": ["berigelse", "vold"],
        "order": 2,
    }
    return {**data, **changes}


def test_the_secretary_writes_a_new_plan_and_it_becomes_the_councils_plan(
    district: District, client: Client
):
    client.force_login(district.secretary)
    pk = district.kredsraad.pk
    assert client.get(f"/raad/{pk}/plan/ny/").status_code == 200
    response = client.post(
        f"/raad/{pk}/plan/ny/",
        {"title": "Samarbejdsplan 2027", "period_start": "2027-01-01", "period_end": "2027-12-31"},
    )
    assert response.status_code == 302
    plan = CooperationPlan.objects.get(title="Samarbejdsplan 2027")
    assert (plan.council, plan.period_start) == (district.kredsraad, datetime.date(2027, 1, 1))
    page = client.get(f"/raad/{pk}/").content.decode()
    assert "Samarbejdsplan 2027" in page and "Planen har endnu ingen indsatsområder." in page
    entry = LogEntry.objects.get_for_object(plan).get()
    assert entry.actor == district.secretary


def test_the_secretary_changes_the_plan_and_a_period_backwards_is_400(
    district: District, client: Client
):
    client.force_login(district.secretary)
    url = f"/raad/{district.kredsraad.pk}/plan/{district.plan.pk}/rediger/"
    assert client.get(url).status_code == 200
    wrong = client.post(
        url, {"title": "Baglæns", "period_start": "2026-12-31", "period_end": "2026-01-01"}
    )
    assert wrong.status_code == 400
    assert "Perioden kan ikke slutte, før den begynder." in wrong.content.decode()
    district.plan.refresh_from_db()
    assert district.plan.title == "Samarbejdsplan 2026"
    changed = client.post(
        url,
        {"title": "Plan 2026 og 2027", "period_start": "2026-01-01", "period_end": "2027-06-30"},
    )
    assert changed.status_code == 302
    district.plan.refresh_from_db()
    assert (district.plan.title, district.plan.period_end) == (
        "Plan 2026 og 2027",
        datetime.date(2027, 6, 30),
    )


def test_the_secretary_adds_and_changes_a_focus_area(district: District, client: Client):
    client.force_login(district.secretary)
    base = f"/raad/{district.kredsraad.pk}/plan/{district.plan.pk}/indsatsomraader"
    form = client.get(f"{base}/nyt/").content.decode()
    assert "SSP Aby" in form and "PSP Bby" in form and "Bby Socialforvaltning" in form
    assert client.post(f"{base}/nyt/", area_data(district)).status_code == 302
    area = FocusArea.objects.get(title="Unge og kriminalitet")
    assert area.plan == district.plan
    assert set(area.forums.all()) == {district.ssp, district.psp}
    assert set(area.agencies.all()) == {district.police, district.social}
    assert area.categories == ["vold", "berigelse"]  # the category list's order
    response = client.post(
        f"{base}/{area.pk}/rediger/", area_data(district, forums=[district.ssp.pk], order=0)
    )
    assert response.status_code == 302
    area.refresh_from_db()
    assert (list(area.forums.all()), area.order) == ([district.ssp], 0)
    page = client.get(f"/raad/{district.kredsraad.pk}/").content.decode()
    assert "Unge og kriminalitet" in page
    entries = LogEntry.objects.get_for_object(area)
    assert entries.filter(action=LogEntry.Action.CREATE).count() == 1
    assert entries.filter(action=LogEntry.Action.UPDATE).exists()  # the order, the forums
    assert {entry.actor for entry in entries} == {district.secretary}


Bad = Callable[[District, Forum, Agency], object]
BAD_AREA: list[tuple[str, str, Bad]] = [
    ("foreign_forum", "forums", lambda d, forum, agency: [d.ssp.pk, forum.pk]),
    ("foreign_agency", "agencies", lambda d, forum, agency: [agency.pk]),
    ("unknown_category", "categories", lambda d, forum, agency: ["vold", "ukendt"]),
    ("no_title", "title", lambda d, forum, agency: ""),
    ("negative_order", "order", lambda d, forum, agency: "-1"),
    ("huge_order", "order", lambda d, forum, agency: "99999999"),
]


@pytest.mark.parametrize(("field", "bad"), [c[1:] for c in BAD_AREA], ids=[c[0] for c in BAD_AREA])
def test_a_focus_area_outside_the_council_or_malformed_is_400_and_changes_nothing(
    district: District, client: Client, field: str, bad: Bad
):
    _council, _cby, foreign_forum, foreign_agency = neighbour()
    client.force_login(district.secretary)
    url = f"/raad/{district.kredsraad.pk}/plan/{district.plan.pk}/indsatsomraader/{district.focus.pk}/rediger/"
    response = client.post(
        url, area_data(district, **{field: bad(district, foreign_forum, foreign_agency)})
    )
    assert response.status_code == 400
    assert field in response.context["form"].errors
    district.focus.refresh_from_db()
    assert district.focus.title == "Børn og unges trivsel"
    assert list(district.focus.forums.all()) == [district.ssp]
    assert district.focus.categories == ["vold"]


def test_a_lokalraad_offers_only_its_own_municipalitys_forums(district: District, client: Client):
    plan = CooperationPlan.objects.create(
        council=district.lokalraad,
        title="Handleplan Aby",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 12, 31),
    )
    secretary = district.local_member
    district.lokalraad.memberships.filter(user=secretary).update(role="secretary")
    client.force_login(secretary)
    base = f"/raad/{district.lokalraad.pk}/plan/{plan.pk}/indsatsomraader/nyt/"
    form = client.get(base).content.decode()
    # Aby's forum and the agencies serving Aby (its school, the district's police); not Bby's.
    assert "SSP Aby" in form and "PSP Bby" not in form
    assert "Testkredsens Politi" in form and "Bby Socialforvaltning" not in form
    response = client.post(base, area_data(district, forums=[district.psp.pk], agencies=[]))
    assert response.status_code == 400
    assert not plan.areas.exists()


def test_a_plain_member_writes_no_plan_or_area(district: District, client: Client):
    client.force_login(district.member)
    pk, plan = district.kredsraad.pk, district.plan.pk
    for path, data in (
        (
            f"/raad/{pk}/plan/ny/",
            {"title": "X", "period_start": "2027-01-01", "period_end": "2027-12-31"},
        ),
        (
            f"/raad/{pk}/plan/{plan}/rediger/",
            {"title": "X", "period_start": "2026-01-01", "period_end": "2026-12-31"},
        ),
        (f"/raad/{pk}/plan/{plan}/indsatsomraader/nyt/", area_data(district)),
        (
            f"/raad/{pk}/plan/{plan}/indsatsomraader/{district.focus.pk}/rediger/",
            area_data(district),
        ),
    ):
        assert client.get(path).status_code == 403, path
        assert client.post(path, data).status_code == 403, path
    assert list(CooperationPlan.objects.all()) == [district.plan]
    assert list(FocusArea.objects.all()) == [district.focus]
    district.plan.refresh_from_db()
    assert district.plan.title == "Samarbejdsplan 2026"


def test_a_secretary_reaches_no_other_councils_plan_or_area(district: District, client: Client):
    foreign, _cby, _forum, _agency = neighbour()
    plan = CooperationPlan.objects.create(
        council=foreign,
        title="Naboplan",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 12, 31),
    )
    area = FocusArea.objects.create(plan=plan, title="Naboområde")
    client.force_login(district.secretary)
    own, own_plan = district.kredsraad.pk, district.plan.pk
    plan_data = {"title": "Overtaget", "period_start": "2026-01-01", "period_end": "2026-12-31"}
    for path, data in (
        (f"/raad/{foreign.pk}/plan/ny/", plan_data),
        (f"/raad/{foreign.pk}/plan/{plan.pk}/rediger/", plan_data),
        (f"/raad/{own}/plan/{plan.pk}/rediger/", plan_data),
        (f"/raad/{own}/plan/{plan.pk}/indsatsomraader/nyt/", area_data(district)),
        (f"/raad/{own}/plan/{own_plan}/indsatsomraader/{area.pk}/rediger/", area_data(district)),
        (f"/raad/{own}/plan/{plan.pk}/indsatsomraader/{area.pk}/rediger/", area_data(district)),
        (f"/raad/{own}/plan/999999/rediger/", plan_data),
    ):
        assert client.get(path).status_code == 404, path
        assert client.post(path, data).status_code == 404, path
    plan.refresh_from_db()
    area.refresh_from_db()
    assert (plan.title, area.title) == ("Naboplan", "Naboområde")
    assert CooperationPlan.objects.count() == 2 and FocusArea.objects.count() == 2


def test_the_services_refuse_what_the_forms_would_not_offer(district: District):
    """A caller other than the form (a script, a later API) gets no way around the area."""
    foreign, _cby, foreign_forum, foreign_agency = neighbour()
    common = {
        "title": "Omvej",
        "description": "",
        "agencies": [],
        "forums": [],
        "categories": [],
        "order": 0,
    }
    with pytest.raises(PermissionDenied):
        services.area_save(
            actor=district.secretary, plan=district.plan, **{**common, "forums": [foreign_forum]}
        )
    with pytest.raises(PermissionDenied):
        services.area_save(
            actor=district.secretary, plan=district.plan, **{**common, "agencies": [foreign_agency]}
        )
    with pytest.raises(PermissionDenied):
        services.area_save(
            actor=district.secretary, plan=district.plan, **{**common, "categories": ["ukendt"]}
        )
    with pytest.raises(PermissionDenied):
        services.area_save(actor=district.member, plan=district.plan, **common)
    with pytest.raises(PermissionDenied):
        services.plan_save(
            actor=district.secretary,
            council=foreign,
            title="Omvej",
            period_start=datetime.date(2026, 1, 1),
            period_end=datetime.date(2026, 12, 31),
        )
    with pytest.raises(PermissionDenied):
        services.plan_save(
            actor=district.secretary,
            council=district.kredsraad,
            plan=CooperationPlan.objects.create(
                council=foreign,
                title="Naboplan",
                period_start=datetime.date(2026, 1, 1),
                period_end=datetime.date(2026, 12, 31),
            ),
            title="Omvej",
            period_start=datetime.date(2026, 1, 1),
            period_end=datetime.date(2026, 12, 31),
        )
    assert FocusArea.objects.count() == 1
    assert not CooperationPlan.objects.filter(title="Omvej").exists()


def test_choices_render_as_design_system_checkboxes_in_a_fieldset(
    district: District, client: Client
):
    """Django's default checkbox list is invisible under DKFDS (a browser test found it): the
    council forms render theirs as the concern form does, one legend per group."""
    client.force_login(district.secretary)
    pk, plan = district.kredsraad.pk, district.plan.pk
    for path, groups in (
        (f"/raad/{pk}/plan/{plan}/indsatsomraader/nyt/", 3),  # agencies, forums, categories
        (f"/raad/{pk}/moeder/nyt/", 1),  # focus areas
    ):
        page = client.get(path).content.decode()
        assert page.count("<legend") == groups, path
        assert 'type="checkbox" class="form-checkbox"' in page, path
        assert "<ul" not in page.split("<main", 1)[1], path  # not Django's default list
