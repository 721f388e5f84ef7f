"""Insiders against the secretary's plan and focus-area pages (commit d8a8da5): former, future
and demoted secretaries, members of two councils, the content-blind roles and forum members,
forged POST data, the admin's inline form, and the focus figures on the statistics page."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.shortcuts import resolve_url
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Agency, Municipality, Region, User
from councils import statistics
from councils.models import CooperationPlan, Council, CouncilMembership, FocusArea
from councils.periods import Period
from forums.models import Forum, ForumKind
from tests.councils.conftest import District, known_answers, neighbour
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db

SINCE = datetime.date(2026, 1, 1)
PLAN_DATA = {"title": "Overtaget", "period_start": "2026-01-01", "period_end": "2026-12-31"}


def area_data(d: District, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Forfalsket",
        "description": "",
        "agencies": [d.police.pk],
        "forums": [d.ssp.pk],
        "categories": ["vold"],
        "order": 1,
    }
    return {**data, **changes}


def write_paths(
    d: District, council: Council, plan: CooperationPlan, area: FocusArea
) -> list[tuple[str, dict[str, object]]]:
    """The four write pages of ``council`` with the data a secretary would post."""
    pk, plan_pk = council.pk, plan.pk
    return [
        (f"/raad/{pk}/plan/ny/", dict(PLAN_DATA)),
        (f"/raad/{pk}/plan/{plan_pk}/rediger/", dict(PLAN_DATA)),
        (f"/raad/{pk}/plan/{plan_pk}/indsatsomraader/nyt/", area_data(d)),
        (f"/raad/{pk}/plan/{plan_pk}/indsatsomraader/{area.pk}/rediger/", area_data(d)),
    ]


def snapshot() -> tuple[Any, ...]:
    plans = tuple(CooperationPlan.objects.order_by("pk").values_list("pk", "council", "title"))
    areas = tuple(FocusArea.objects.order_by("pk").values_list("pk", "plan", "title", "order"))
    links = tuple(FocusArea.forums.through.objects.order_by("pk").values_list("pk"))
    agencies = tuple(FocusArea.agencies.through.objects.order_by("pk").values_list("pk"))
    return plans, areas, links, agencies


def lokal_plan(d: District) -> tuple[CooperationPlan, FocusArea]:
    plan = CooperationPlan.objects.create(
        council=d.lokalraad, title="Handleplan Aby", period_start=SINCE, period_end=SINCE
    )
    area = FocusArea.objects.create(plan=plan, title="Aby-område", categories=["vold"])
    area.forums.set([d.ssp])
    return plan, area


def council_user(d: District, council: Council, role: str, **dates: Any) -> User:
    user = UserFactory.create(agency=d.police, roles=["council"])
    CouncilMembership.objects.create(
        council=council, user=user, role=role, **({"valid_from": SINCE} | dates)
    )
    return user


def insider(d: District, who: str) -> User:
    today = timezone.localdate()
    secretary = CouncilMembership.Role.SECRETARY
    if who == "former_secretary":
        return council_user(d, d.kredsraad, secretary, valid_to=today - datetime.timedelta(1))
    if who == "future_secretary":
        return council_user(d, d.kredsraad, secretary, valid_from=today + datetime.timedelta(1))
    if who == "council_role_no_membership":
        return UserFactory.create(agency=d.police, roles=["council"])
    if who == "lokalraad_secretary":
        return council_user(d, d.lokalraad, secretary)
    if who in {"dpo", "admin", "coordinator"}:
        return UserFactory.create(agency=d.social, roles=[who], is_staff=who == "admin")
    if who == "superuser":
        return User.objects.create_superuser(email="su@test.tvaers.dk", password="x-Y-z-123456")
    assert who == "forum_member"
    return d.officer


INSIDERS = [
    "former_secretary",
    "future_secretary",
    "council_role_no_membership",
    "lokalraad_secretary",
    "dpo",
    "admin",
    "coordinator",
    "superuser",
    "forum_member",
]


@pytest.mark.parametrize("who", INSIDERS)
def test_no_insider_but_the_secretary_reaches_the_kredsraads_write_pages(
    district: District, client: Client, who: str
):
    client.force_login(insider(district, who))
    before = snapshot()
    for path, data in write_paths(district, district.kredsraad, district.plan, district.focus):
        assert client.get(path).status_code == 404, path
        assert client.post(path, data).status_code == 404, path
    assert snapshot() == before


def test_the_kredsraads_secretary_writes_nothing_into_the_lokalraad_of_its_district(
    district: District, client: Client
):
    plan, area = lokal_plan(district)
    client.force_login(district.secretary)
    before = snapshot()
    for path, data in write_paths(district, district.lokalraad, plan, area):
        assert client.get(path).status_code == 404, path
        assert client.post(path, data).status_code == 404, path
    assert snapshot() == before


def test_a_demoted_secretary_is_a_plain_member_from_the_next_request(
    district: District, client: Client
):
    client.force_login(district.secretary)
    path = f"/raad/{district.kredsraad.pk}/plan/{district.plan.pk}/rediger/"
    assert client.get(path).status_code == 200
    district.kredsraad.memberships.filter(user=district.secretary).update(role="member")
    before = snapshot()
    for path, data in write_paths(district, district.kredsraad, district.plan, district.focus):
        assert client.get(path).status_code == 403, path
        assert client.post(path, data).status_code == 403, path
    assert snapshot() == before


def test_a_secretary_whose_membership_ends_today_still_writes_tomorrow_not(
    district: District, client: Client
):
    today = timezone.localdate()
    district.kredsraad.memberships.filter(user=district.secretary).update(valid_to=today)
    client.force_login(district.secretary)
    path = f"/raad/{district.kredsraad.pk}/plan/{district.plan.pk}/rediger/"
    assert client.get(path).status_code == 200  # "til og med": the last day counts
    district.kredsraad.memberships.filter(user=district.secretary).update(
        valid_to=today - datetime.timedelta(1)
    )
    assert client.post(path, PLAN_DATA).status_code == 404
    district.plan.refresh_from_db()
    assert district.plan.title == "Samarbejdsplan 2026"


def test_an_inactive_secretary_is_logged_out_and_changes_nothing(
    district: District, client: Client
):
    client.force_login(district.secretary)
    User.objects.filter(pk=district.secretary.pk).update(is_active=False)
    before = snapshot()
    for path, data in write_paths(district, district.kredsraad, district.plan, district.focus):
        response = client.post(path, data)
        assert response.status_code == 302, path
        assert response["Location"].startswith(resolve_url(settings.LOGIN_URL)), path
    assert snapshot() == before


def test_a_secretary_who_lost_the_council_role_writes_nothing(district: District, client: Client):
    district.secretary.groups.set(Group.objects.filter(name="member"))
    client.force_login(district.secretary)
    before = snapshot()
    codes = set()
    for path, data in write_paths(district, district.kredsraad, district.plan, district.focus):
        codes.add(client.get(path).status_code)
        codes.add(client.post(path, data).status_code)
    assert codes == {404}
    assert snapshot() == before


def test_a_member_of_two_councils_writes_only_where_secretary_and_never_across(
    district: District, client: Client
):
    """Secretary of Aby's lokalråd, plain member of the kredsråd: the lokalråd's pages are
    open, the kredsråd's forbidden (403), and no URL mixes the two."""
    plan, area = lokal_plan(district)
    user = council_user(district, district.lokalraad, CouncilMembership.Role.SECRETARY)
    CouncilMembership.objects.create(council=district.kredsraad, user=user, valid_from=SINCE)
    client.force_login(user)
    lokal, kreds = district.lokalraad.pk, district.kredsraad.pk
    assert client.get(f"/raad/{lokal}/plan/{plan.pk}/rediger/").status_code == 200
    before = snapshot()
    for path, data in write_paths(district, district.kredsraad, district.plan, district.focus):
        assert client.post(path, data).status_code == 403, path
    crossed = [
        f"/raad/{lokal}/plan/{district.plan.pk}/rediger/",
        f"/raad/{lokal}/plan/{district.plan.pk}/indsatsomraader/nyt/",
        f"/raad/{lokal}/plan/{plan.pk}/indsatsomraader/{district.focus.pk}/rediger/",
        f"/raad/{lokal}/plan/{district.plan.pk}/indsatsomraader/{district.focus.pk}/rediger/",
        f"/raad/{kreds}/plan/{plan.pk}/indsatsomraader/{area.pk}/rediger/",
    ]
    for path in crossed:
        assert client.post(path, area_data(district) | PLAN_DATA).status_code in {403, 404}, path
    # The kredsråd's other municipality is outside the lokalråd, whatever the user also sees.
    response = client.post(
        f"/raad/{lokal}/plan/{plan.pk}/indsatsomraader/{area.pk}/rediger/",
        area_data(district, forums=[district.psp.pk], agencies=[district.social.pk]),
    )
    assert response.status_code == 400
    assert {"forums", "agencies"} <= set(response.context["form"].errors)
    assert snapshot() == before


def test_an_area_of_another_plan_of_the_same_council_is_404(district: District, client: Client):
    other = CooperationPlan.objects.create(
        council=district.kredsraad, title="Plan 2025", period_start=SINCE, period_end=SINCE
    )
    client.force_login(district.secretary)
    path = f"/raad/{district.kredsraad.pk}/plan/{other.pk}/indsatsomraader/{district.focus.pk}/rediger/"
    assert client.get(path).status_code == 404
    assert client.post(path, area_data(district)).status_code == 404
    district.focus.refresh_from_db()
    assert district.focus.plan == district.plan and district.focus.title != "Forfalsket"


def test_agencies_serving_the_district_or_region_are_offered_a_neighbours_are_not(
    district: District, client: Client
):
    region = Region.objects.create(name="Region Test")
    Municipality.objects.filter(pk=district.bby.pk).update(region=region)
    _council, cby, _forum, cby_school = neighbour()
    psychiatry = AgencyFactory.create(
        name="Regionspsykiatrien", kind=Agency.Kind.PSYKIATRI, municipality=cby, region=region
    )
    other_police = AgencyFactory.create(
        name="Naboredsens Politi",
        kind=Agency.Kind.POLITI,
        municipality=cby,
        police_district=cby.police_district,
    )
    client.force_login(district.secretary)
    url = f"/raad/{district.kredsraad.pk}/plan/{district.plan.pk}/indsatsomraader/nyt/"
    page = client.get(url).content.decode()
    assert "Regionspsykiatrien" in page and "Testkredsens Politi" in page
    assert "Cby Skole" not in page and "Naboredsens Politi" not in page and "SSP Cby" not in page
    ok = client.post(url, area_data(district, title="Psykiatri", agencies=[psychiatry.pk]))
    assert ok.status_code == 302
    assert list(FocusArea.objects.get(title="Psykiatri").agencies.all()) == [psychiatry]
    for foreign in (cby_school, other_police):
        bad = client.post(url, area_data(district, title="Nabo", agencies=[foreign.pk]))
        assert bad.status_code == 400 and "agencies" in bad.context["form"].errors
    assert not FocusArea.objects.filter(title="Nabo").exists()


def test_a_lokalraad_of_a_municipality_without_police_district_keeps_its_plan(client: Client):
    dby = Municipality.objects.create(code="904", name="Dby")
    council = Council.objects.create(
        name="Lokalrådet i Dby", kind=Council.Kind.LOKALRAAD, municipality=dby
    )
    forum = Forum.objects.create(name="SSP Dby", kind=ForumKind.SSP, municipality=dby)
    school = AgencyFactory.create(name="Dby Skole", kind=Agency.Kind.SKOLE, municipality=dby)
    _kreds, _cby, foreign_forum, foreign_agency = neighbour()
    secretary = UserFactory.create(agency=school, roles=["council"])
    CouncilMembership.objects.create(
        council=council, user=secretary, role="secretary", valid_from=SINCE
    )
    client.force_login(secretary)
    created = client.post(f"/raad/{council.pk}/plan/ny/", PLAN_DATA)
    assert created.status_code == 302
    plan = council.plans.get()
    url = f"/raad/{council.pk}/plan/{plan.pk}/indsatsomraader/nyt/"
    page = client.get(url).content.decode()
    assert "SSP Dby" in page and "Dby Skole" in page and "SSP Cby" not in page
    data = {"title": "Dby", "order": 0, "forums": [forum.pk], "agencies": [school.pk]}
    assert client.post(url, data).status_code == 302
    for field, bad in (("forums", foreign_forum.pk), ("agencies", foreign_agency.pk)):
        response = client.post(url, data | {"title": "Nabo", field: [bad]})
        assert response.status_code == 400 and field in response.context["form"].errors
    assert list(plan.areas.values_list("title", flat=True)) == ["Dby"]


def assert_refused(response: Any, field: str, path: str) -> None:
    """400; the form again with the error on its field, unless a layer before the view (the
    NUL-byte guard) refused the request already."""
    assert response.status_code == 400, path
    if response.context is not None and "form" in response.context:
        assert field in response.context["form"].errors, path
    else:
        assert field == "title", path


FORGED_AREA = [
    ("forum_not_an_int", {"forums": ["abc"]}, "forums"),
    ("forum_decimal", {"forums": ["1.5"]}, "forums"),
    ("forum_beyond_bigint", {"forums": ["99999999999999999999999"]}, "forums"),
    ("forum_negative", {"forums": ["-1"]}, "forums"),
    ("agency_not_an_int", {"agencies": ["x' OR 1=1 --"]}, "agencies"),
    ("agency_beyond_bigint", {"agencies": ["9223372036854775808"]}, "agencies"),
    ("category_empty", {"categories": [""]}, "categories"),
    ("title_too_long", {"title": "x" * 201}, "title"),
    ("title_nul", {"title": "Nul\x00byte"}, "title"),
    ("description_too_long", {"description": "y" * 4001}, "description"),
    ("order_not_an_int", {"order": "1e3"}, "order"),
    ("order_beyond_smallint", {"order": "40000"}, "order"),
]


@pytest.mark.parametrize(
    ("changes", "field"), [c[1:] for c in FORGED_AREA], ids=[c[0] for c in FORGED_AREA]
)
def test_forged_area_data_is_400_on_its_field_and_changes_nothing(
    district: District, client: Client, changes: dict[str, object], field: str
):
    client.force_login(district.secretary)
    base = f"/raad/{district.kredsraad.pk}/plan/{district.plan.pk}/indsatsomraader"
    before = snapshot()
    for path in (f"{base}/nyt/", f"{base}/{district.focus.pk}/rediger/"):
        response = client.post(path, area_data(district, **changes))
        assert_refused(response, field, path)
    assert snapshot() == before


FORGED_PLAN = [
    ("impossible_date", {"period_start": "2026-02-30"}, "period_start"),
    ("year_zero", {"period_start": "0000-01-01"}, "period_start"),
    ("five_digit_year", {"period_end": "20260-12-31"}, "period_end"),
    ("title_too_long", {"title": "p" * 201}, "title"),
    ("title_nul", {"title": "\x00"}, "title"),
    ("no_period", {"period_start": ""}, "period_start"),
]


@pytest.mark.parametrize(
    ("changes", "field"), [c[1:] for c in FORGED_PLAN], ids=[c[0] for c in FORGED_PLAN]
)
def test_forged_plan_data_is_400_on_its_field_and_changes_nothing(
    district: District, client: Client, changes: dict[str, str], field: str
):
    client.force_login(district.secretary)
    before = snapshot()
    pk = district.kredsraad.pk
    for path in (f"/raad/{pk}/plan/ny/", f"/raad/{pk}/plan/{district.plan.pk}/rediger/"):
        response = client.post(path, PLAN_DATA | changes)
        assert_refused(response, field, path)
    assert snapshot() == before


def test_smuggled_council_plan_and_id_fields_are_ignored(district: District, client: Client):
    """Fields the forms do not have (council, plan, id, pk) cannot move a plan or an area."""
    foreign, _cby, _forum, _agency = neighbour()
    foreign_plan = CooperationPlan.objects.create(
        council=foreign, title="Naboplan", period_start=SINCE, period_end=SINCE
    )
    client.force_login(district.secretary)
    pk = district.kredsraad.pk
    smuggled = {"council": foreign.pk, "council_id": foreign.pk, "id": district.focus.pk}
    response = client.post(f"/raad/{pk}/plan/ny/", PLAN_DATA | smuggled)
    assert response.status_code == 302
    assert CooperationPlan.objects.get(title="Overtaget").council == district.kredsraad
    url = f"/raad/{pk}/plan/{district.plan.pk}/indsatsomraader/nyt/"
    smuggled = {"plan": foreign_plan.pk, "plan_id": foreign_plan.pk, "id": district.focus.pk}
    assert client.post(url, area_data(district) | smuggled).status_code == 302
    area = FocusArea.objects.get(title="Forfalsket")
    assert area.plan == district.plan and area.pk != district.focus.pk
    assert not foreign_plan.areas.exists()
    district.focus.refresh_from_db()
    assert district.focus.title == "Børn og unges trivsel"


def test_query_parameters_change_nothing_on_a_get(district: District, client: Client):
    client.force_login(district.secretary)
    before = snapshot()
    base = f"/raad/{district.kredsraad.pk}/plan/{district.plan.pk}"
    for path in (f"{base}/rediger/", f"{base}/indsatsomraader/{district.focus.pk}/rediger/"):
        response = client.get(path, {"title": "Via GET", "forums": "1", "plan": "999"})
        assert response.status_code == 200
        assert "Via GET" not in response.content.decode()
    assert snapshot() == before


def test_huge_ids_in_the_url_are_404_not_500(district: District, client: Client):
    client.force_login(district.secretary)
    huge = "99999999999999999999999"
    pk, plan = district.kredsraad.pk, district.plan.pk
    for path in (
        f"/raad/{huge}/plan/ny/",
        f"/raad/{pk}/plan/{huge}/rediger/",
        f"/raad/{pk}/plan/{huge}/indsatsomraader/nyt/",
        f"/raad/{pk}/plan/{plan}/indsatsomraader/{huge}/rediger/",
    ):
        assert client.get(path).status_code == 404, path
        assert client.post(path, area_data(district) | PLAN_DATA).status_code == 404, path


def _normalised(body: bytes, path: str) -> str:
    """The page without what differs from request to request (tokens, nonces, and the path
    itself, which the language switch carries back)."""
    text = body.decode().replace(path, "PATH")
    text = re.sub(r'(csrfmiddlewaretoken"? value=")[^"]+', r"\1", text)
    text = re.sub(r'(nonce=")[^"]+', r"\1", text)
    return re.sub(r'(name="csrf-token" content=")[^"]+', r"\1", text)


def test_a_plan_or_area_elsewhere_and_a_missing_one_answer_alike(
    district: District, client: Client
):
    foreign, _cby, _forum, _agency = neighbour()
    plan = CooperationPlan.objects.create(
        council=foreign, title="Naboplan", period_start=SINCE, period_end=SINCE
    )
    area = FocusArea.objects.create(plan=plan, title="Naboområde")
    missing = FocusArea.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000
    client.force_login(district.secretary)
    own, own_plan = district.kredsraad.pk, district.plan.pk
    pairs = [
        (f"/raad/{own}/plan/{plan.pk}/rediger/", f"/raad/{own}/plan/{missing}/rediger/"),
        (f"/raad/{foreign.pk}/plan/ny/", f"/raad/{missing}/plan/ny/"),
        (
            f"/raad/{own}/plan/{own_plan}/indsatsomraader/{area.pk}/rediger/",
            f"/raad/{own}/plan/{own_plan}/indsatsomraader/{missing}/rediger/",
        ),
    ]
    for elsewhere, nowhere in pairs:
        for method in ("get", "post"):
            a = getattr(client, method)(elsewhere)
            b = getattr(client, method)(nowhere)
            assert (a.status_code, b.status_code) == (404, 404), elsewhere
            same = _normalised(a.content, elsewhere) == _normalised(b.content, nowhere)
            assert same, elsewhere
            assert "Naboplan" not in a.content.decode()


def test_the_change_log_carries_the_secretary_for_plan_and_area_changes(
    district: District, client: Client
):
    client.force_login(district.secretary)
    pk = district.kredsraad.pk
    last = LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    assert client.post(f"/raad/{pk}/plan/{district.plan.pk}/rediger/", PLAN_DATA).status_code == 302
    url = f"/raad/{pk}/plan/{district.plan.pk}/indsatsomraader/{district.focus.pk}/rediger/"
    assert client.post(url, area_data(district, forums=[district.psp.pk])).status_code == 302
    # Entries before ``last`` are the fixture's, made with no request and so no actor.
    plan_entry = LogEntry.objects.get_for_object(district.plan).get(pk__gt=last)
    assert plan_entry.action == LogEntry.Action.UPDATE and plan_entry.actor == district.secretary
    area_entries = LogEntry.objects.get_for_object(district.focus).filter(pk__gt=last)
    assert area_entries.exists()
    assert {entry.actor for entry in area_entries} == {district.secretary}
    # A refused write leaves no entry.
    count = LogEntry.objects.count()
    client.force_login(district.member)
    assert client.post(url, area_data(district, title="Nej")).status_code == 403
    assert LogEntry.objects.count() == count


def test_new_categories_and_forums_show_in_the_focus_figures_and_only_the_councils(
    district: District, client: Client
):
    """The secretary's area draws its rows from the council's own tables: a category and a
    forum kind added on the page appear there with the table's figures, nothing else."""
    known_answers(district)
    scope = next(s for s in statistics.scopes() if s.district == district.district)
    assert statistics.freeze(scope, Period(2026, 3)) is not None
    client.force_login(district.secretary)
    url = f"/raad/{district.kredsraad.pk}/plan/{district.plan.pk}/indsatsomraader/{district.focus.pk}/rediger/"
    data = area_data(
        district,
        title="Psykisk sårbare",
        categories=["psykisk_saarbarhed"],
        forums=[district.psp.pk],
    )
    assert client.post(url, data).status_code == 302
    page = client.get(
        f"/raad/{district.kredsraad.pk}/statistik/", {"omraade": "alle", "periode": "2026-Q3"}
    ).content.decode()
    figures = page.split("Tal for Psykisk sårbare", 1)[1].split("</table>", 1)[0]
    assert "Psykisk sårbarhed" in figures and "PSP" in figures
    assert "Vold" not in figures and "SSP" not in figures
    assert re.search(r"Psykisk sårbarhed</th><td>6</td>", figures)
    assert "Person " not in page and "Sara Social" not in page


def admin_client(client: Client) -> Client:
    admin = UserFactory.create(agency=None, roles=["admin"], is_staff=True)
    client.force_login(admin)
    return client


def inline(prefix: str = "areas", initial: int = 0, **fields: object) -> dict[str, object]:
    data: dict[str, object] = {
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    return data | {f"{prefix}-0-{k}": v for k, v in fields.items()}


def test_the_admin_cannot_add_a_new_plan_with_another_districts_forum(
    district: District, client: Client
):
    _council, _cby, foreign_forum, _agency = neighbour()
    response = admin_client(client).post(
        reverse("admin:councils_cooperationplan_add"),
        {"council": district.kredsraad.pk, **PLAN_DATA, "title": "Ny plan"}
        | inline(title="Omvej", forums=[foreign_forum.pk], order="0"),
    )
    assert response.status_code == 200
    assert not CooperationPlan.objects.filter(title="Ny plan").exists()


def test_the_admin_cannot_move_a_plan_and_its_areas_to_another_district(
    district: District, client: Client
):
    foreign, _cby, _forum, _agency = neighbour()
    area = district.focus
    response = admin_client(client).post(
        reverse("admin:councils_cooperationplan_change", args=[district.plan.pk]),
        {"council": foreign.pk, **PLAN_DATA, "title": district.plan.title}
        | inline(
            initial=1,
            id=area.pk,
            plan=district.plan.pk,
            title=area.title,
            forums=[district.ssp.pk],
            agencies=[district.school.pk],
            categories=["vold"],
            order="0",
        ),
    )
    assert response.status_code == 200
    district.plan.refresh_from_db()
    assert district.plan.council == district.kredsraad


def test_a_post_without_the_csrf_token_changes_nothing(district: District):
    client = Client(enforce_csrf_checks=True)
    client.force_login(district.secretary)
    before = snapshot()
    for path, data in write_paths(district, district.kredsraad, district.plan, district.focus):
        assert client.post(path, data).status_code == 403, path
    assert snapshot() == before


def test_other_methods_are_refused_and_change_nothing(district: District, client: Client):
    client.force_login(district.secretary)
    before = snapshot()
    for path, _data in write_paths(district, district.kredsraad, district.plan, district.focus):
        for method in (client.delete, client.put, client.patch):
            assert method(path).status_code == 405, path
    assert snapshot() == before


def test_repeated_ids_and_categories_are_stored_once(district: District, client: Client):
    client.force_login(district.secretary)
    url = f"/raad/{district.kredsraad.pk}/plan/{district.plan.pk}/indsatsomraader/nyt/"
    data = area_data(
        district,
        forums=[district.ssp.pk] * 50,
        agencies=[district.police.pk, district.police.pk],
        categories=["vold", "vold", "berigelse"],
    )
    assert client.post(url, data).status_code == 302
    area = FocusArea.objects.get(title="Forfalsket")
    assert list(area.forums.all()) == [district.ssp]
    assert list(area.agencies.all()) == [district.police]
    assert area.categories == ["vold", "berigelse"]


def test_the_area_form_reads_the_same_queries_for_more_forums_and_agencies(
    district: District, client: Client
):
    client.force_login(district.secretary)
    url = f"/raad/{district.kredsraad.pk}/plan/{district.plan.pk}/indsatsomraader/{district.focus.pk}/rediger/"

    def count() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = count()
    for i in range(6):
        forum = Forum.objects.create(
            name=f"Forum {i}", kind=ForumKind.SSP, municipality=district.aby
        )
        agency = AgencyFactory.create(
            name=f"Skole {i}", kind=Agency.Kind.SKOLE, municipality=district.bby
        )
        district.focus.forums.add(forum)
        district.focus.agencies.add(agency)
    assert count() == few
