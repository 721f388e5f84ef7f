"""Issue 8's reproductions, as an insider would try them: the CPR oracle, kind-revealing
pseudonyms, forums in a foreign municipality, the police purpose lock on every list, and the
disclosures that every path of sharing must record."""

from __future__ import annotations

import datetime
import re
from importlib import import_module
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.models import Agency, PoliceDistrict
from audit.models import AccessEvent, Disclosure, PseudonymAlias
from audit.services import reason_text
from forums.models import Forum, ForumKind, Membership
from persons.models import CaseFile, Concern, FocusPerson
from persons.selectors import person_list_for
from persons.services import (
    CPR_MATCH_CRITERION,
    IdentityInput,
    casefile_open,
    casefile_update,
    concern_register,
)
from tests.concurrency import race
from tests.factories import AgencyFactory, MunicipalityFactory, UserFactory
from tests.world import NECESSITY, PERSON_CPR, PERSON_NAME, World

pytestmark = pytest.mark.django_db

CONCERNS = "/api/v1/concerns/"
NEW_CPR = "2408125678"  # 24 August 2012, known to nobody
NEUTRAL = re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}$")
SOURCE_REASON = "Politiet ringede bekymringen ind til koordinatoren i går aftes."


def post(client: Any, url: str, data: Any) -> Any:
    return client.post(url, data, content_type="application/json")


def concern(world: World, cpr: str, **changes: Any) -> dict[str, Any]:
    return {
        "forum": world.forum.pk,
        "source_agency": world.school.pk,
        "necessity": NECESSITY,
        "categories": ["vold"],
        "identity": {"name": "Navn Navnesen", "cpr": cpr},
        "description": "Bekymring om vold.",
        **changes,
    }


def _shape(body: Any) -> Any:
    """The response with every value replaced by its type: what must not differ."""
    if isinstance(body, dict):
        return {key: _shape(value) for key, value in body.items()}
    if isinstance(body, list):
        return [_shape(value) for value in body]
    return type(body).__name__


# --- Silent matching: no oracle for "is this CPR known" ----------------------------------------


def test_known_and_new_cpr_get_the_same_answer(world, client):
    """The outsider's forum is in the same municipality; the CPR of the world's person is known
    there (on the first forum), the other one is new. Compare the whole responses."""
    client.force_login(world.outsider)
    payload = {"forum": world.other_forum.pk, "source_agency": world.social.pk}
    known = post(client, CONCERNS, concern(world, PERSON_CPR, **payload))
    new = post(client, CONCERNS, concern(world, NEW_CPR, **payload))
    assert known.status_code == new.status_code == 201, (known.content, new.content)
    assert _shape(known.json()) == _shape(new.json())
    assert set(known.json()) == {"concern", "person"}
    for body in (known.json(), new.json()):
        assert NEUTRAL.match(body["person"]["pseudonym"])
        assert body["concern"]["forum"] == world.other_forum.pk
    # the known person is matched silently, and seen only through the outsider's case file
    assert known.json()["person"]["id"] == world.person.pk
    seen = client.get(f"/api/v1/persons/{world.person.pk}/").json()
    assert [cf["forum"] for cf in seen["case_files"]] == [world.other_forum.pk]
    notes = client.get(f"/api/v1/case-files/{world.case_file.pk}/notes/")
    assert notes.status_code == 404


def test_known_and_new_cpr_get_the_same_page_message(world, client):
    client.force_login(world.outsider)
    messages = []
    for cpr in (PERSON_CPR, NEW_CPR):
        response = client.post(
            "/bekymringer/ny/",
            {
                "forum": world.other_forum.pk,
                "name": "Navn Navnesen",
                "cpr": cpr,
                "categories": ["vold"],
                "description": "Bekymring om vold.",
                "necessity": NECESSITY,
                "source_agency": world.social.pk,
            },
            follow=True,
        )
        assert response.status_code == 200
        text = [str(m) for m in response.context["messages"]]
        messages.append([re.sub(r"[A-Z2-9]{4}-[A-Z2-9]{4}", "P", m) for m in text])
    assert messages[0] == messages[1] == ["Bekymringen er registreret som P."]


def test_the_cpr_lookup_is_recorded_as_a_search_without_the_cpr(world, client):
    client.force_login(world.outsider)
    payload = {"forum": world.other_forum.pk, "source_agency": world.social.pk}
    start = AccessEvent.objects.latest("id").pk
    post(client, CONCERNS, concern(world, PERSON_CPR, **payload))
    post(client, CONCERNS, concern(world, NEW_CPR, **payload))
    searches = AccessEvent.objects.filter(
        actor=world.outsider, action=AccessEvent.Action.SEARCH, id__gt=start
    ).order_by("id")
    assert [e.search_criterion for e in searches] == [CPR_MATCH_CRITERION] * 2
    assert searches[0].person_ids == [world.person.pk]  # the DPO sees whom the CPR found
    assert searches[1].person_ids == []
    for event in AccessEvent.objects.all():
        assert PERSON_CPR not in str(event.canonical()) and NEW_CPR not in str(event.canonical())


def test_handover_result_names_no_count_of_new_persons(world, client):
    client.force_login(world.police_member)
    content = f"navn;cpr;dato;kategori\n{PERSON_NAME};{PERSON_CPR};2026-11-01;vold\n"
    content += f"Ny Person;{NEW_CPR};2026-11-01;vold\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        f"/fora/{world.forum.pk}/overlevering/",
        {"file": SimpleUploadedFile("liste.csv", content.encode()), "necessity": NECESSITY},
        follow=True,
    )
    assert response.status_code == 200
    text = " ".join(str(m) for m in response.context["messages"])
    assert "2 bekymringer registreret" in text
    assert "nye" not in text


@pytest.mark.django_db(transaction=True)
def test_two_concerns_racing_on_the_same_new_cpr_make_one_person(world):
    first, second = Client(), Client(raise_request_exception=False)
    first.force_login(world.school_member)
    second.force_login(world.coordinator)
    results = race(
        lambda: post(first, CONCERNS, concern(world, NEW_CPR)),
        lambda: post(second, CONCERNS, concern(world, NEW_CPR)),
    )
    assert [r.status_code for r in results] == [201, 201], [r.content for r in results]
    assert results[0].json()["person"]["id"] == results[1].json()["person"]["id"]
    assert FocusPerson.objects.filter(pk=results[0].json()["person"]["id"]).count() == 1
    assert FocusPerson.objects.count() == 3


# --- Neutral pseudonyms --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ForumKind.values)
def test_pseudonyms_tell_nothing_of_the_forum_kind(world, kind):
    forum = Forum.objects.create(
        name=f"Forum {kind}", kind=kind, municipality=world.forum.municipality
    )
    Membership.objects.create(forum=forum, user=world.chair, role="chair")
    result = concern_register(
        actor=world.chair,
        forum=forum,
        identity=IdentityInput(name="Voksen Person", birth_date=datetime.date(1990, 5, 1)),
        categories=["vold"],
        description="Bekymring.",
        source_agency=world.social,
        necessity=NECESSITY,
        ksp_letter="a" if kind == ForumKind.KSP else "",
    )
    assert NEUTRAL.match(result.person.pseudonym), result.person.pseudonym


def test_the_data_migration_renames_old_pseudonyms_and_keeps_an_alias(world, client):
    migration = import_module("persons.migrations.0005_neutral_pseudonyms")
    FocusPerson.objects.filter(pk=world.person.pk).update(pseudonym="PSP-ABCD-EF")
    client.force_login(world.school_member)
    client.get(f"/personer/{world.person.pk}/")  # an access event under the old name
    migration.rename(apps, None)
    world.person.refresh_from_db()
    assert NEUTRAL.match(world.person.pseudonym)
    assert PseudonymAlias.objects.get(pseudonym="PSP-ABCD-EF").person_id == world.person.pk
    # the DPO's history found by the old name shows the events of both names
    client.get(f"/personer/{world.person.pk}/")
    client.force_login(world.dpo)
    old = client.get("/audit/personer/PSP-ABCD-EF/")
    new = client.get(f"/audit/personer/{world.person.pseudonym}/")
    assert old.status_code == new.status_code == 200
    assert len(old.context["accesses"]) == len(new.context["accesses"]) >= 2
    migration.rename(apps, None)  # again: nothing to do
    assert PseudonymAlias.objects.count() == 1


# --- Who may create what, where --------------------------------------------------------------


def test_a_coordinator_cannot_create_a_forum_in_another_municipality(world, client):
    odense = MunicipalityFactory.create(code="461", name="Odense")
    odense_school = AgencyFactory.create(name="Odense Skole", municipality=odense)
    odense_coordinator = UserFactory.create(agency=odense_school, roles=["coordinator"])
    client.force_login(odense_coordinator)
    forums = Forum.objects.count()
    body = {"name": "PSP Snyd", "kind": "psp", "municipality": world.forum.municipality_id}
    response = post(client, "/api/v1/forums/", body)
    assert response.status_code == 400, response.content
    assert "municipality" in response.json()["errors"]
    # nor in their own municipality with another municipality's agencies
    body = {"name": "PSP Odense", "kind": "psp", "municipality": odense.pk}
    response = post(client, "/api/v1/forums/", {**body, "agencies": [world.police.pk]})
    assert response.status_code == 400, response.content
    assert "agencies" in response.json()["errors"]
    assert Forum.objects.count() == forums
    assert post(client, "/api/v1/forums/", body).status_code == 201


def test_a_police_district_serves_every_municipality_in_it(world, client):
    district = PoliceDistrict.objects.create(name="Fyns Politi")
    odense = MunicipalityFactory.create(code="461", name="Odense", police_district=district)
    svendborg = MunicipalityFactory.create(code="479", name="Svendborg", police_district=district)
    police = AgencyFactory.create(
        name="Fyns Politi", kind=Agency.Kind.POLITI, municipality=odense, police_district=district
    )
    assert police.serves(svendborg) and police.serves(odense)
    assert not police.serves(world.forum.municipality)
    assert set(Agency.objects.serving(svendborg)) == {police}
    school = AgencyFactory.create(name="Svendborg Skole", municipality=svendborg)
    coordinator = UserFactory.create(agency=school, roles=["coordinator"])
    client.force_login(coordinator)
    body = {"name": "SSP Svendborg", "kind": "ssp", "municipality": svendborg.pk}
    response = post(client, "/api/v1/forums/", {**body, "agencies": [school.pk, police.pk]})
    assert response.status_code == 201, response.content


def test_a_concern_cannot_claim_another_agency_as_its_source(world, client):
    client.force_login(world.school_member)
    before = Concern.objects.count()
    response = post(client, CONCERNS, concern(world, NEW_CPR, source_agency=world.police.pk))
    assert response.status_code == 400, response.content
    assert "source_agency" in response.json()["errors"]
    foreign = AgencyFactory.create(name="Fremmed Politi", kind=Agency.Kind.POLITI)
    client.force_login(world.coordinator)
    response = post(
        client,
        CONCERNS,
        concern(world, NEW_CPR, source_agency=foreign.pk, source_reason=SOURCE_REASON),
    )
    assert response.status_code == 400, response.content
    response = post(client, CONCERNS, concern(world, NEW_CPR, source_agency=world.police.pk))
    assert response.status_code == 400, response.content
    assert "source_reason" in response.json()["errors"]
    assert Concern.objects.count() == before


# --- Every sharing is a disclosure -------------------------------------------------------------


def test_a_concern_is_a_disclosure_from_its_source_agency(world, client):
    client.force_login(world.coordinator)
    response = post(
        client,
        CONCERNS,
        concern(world, NEW_CPR, source_agency=world.police.pk, source_reason=SOURCE_REASON),
    )
    assert response.status_code == 201, response.content
    row = Disclosure.objects.get(
        source_id=response.json()["concern"]["id"], source_type__model="concern"
    )
    assert row.from_agency == world.police
    assert (row.paragraph, row.cooperation) == ("stk1", "nr1")  # the police disclose under stk. 1
    assert set(row.to_agency_ids) == {world.school.pk, world.social.pk}
    assert reason_text(row) == NECESSITY  # sealed under the case file's key
    assert row.data_categories == ["bekymring", "vold"]
    assert Concern.objects.get(pk=row.source_id).source_reason == SOURCE_REASON
    # a member's own concern: from their own agency, stk. 2
    client.force_login(world.school_member)
    response = post(client, CONCERNS, concern(world, "0101124234"))
    row = Disclosure.objects.get(
        source_id=response.json()["concern"]["id"], source_type__model="concern"
    )
    assert (row.from_agency, row.paragraph) == (world.school, "stk2")


def test_putting_a_person_on_another_forum_is_a_disclosure(world):
    Membership.objects.create(forum=world.other_forum, user=world.coordinator, role="coordinator")
    with pytest.raises(Exception, match="20 tegn"):
        casefile_open(
            actor=world.coordinator, person=world.person, forum=world.other_forum, necessity=""
        )
    case_file = casefile_open(
        actor=world.coordinator, person=world.person, forum=world.other_forum, necessity=NECESSITY
    )
    row = Disclosure.objects.get(
        source_id=case_file.pk, forum_id=world.other_forum.pk, data_categories=["identitet", "sag"]
    )
    assert row.from_agency == world.school and row.person_id == world.person.pk


# --- The police purpose lock on every list -----------------------------------------------------


@pytest.fixture
def police_in_two(world: World) -> World:
    """The police member also sits in the other forum, where the other person is."""
    Membership.objects.create(forum=world.other_forum, user=world.police_member)
    return world


def _parameterless_get_routes() -> list[str]:
    """Every page and API route without a path parameter: where a cross-forum list could be."""
    found: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if getattr(pattern, "namespace", None) in {"admin", "djdt"}:
                    continue
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and "<" not in route and "(?P" not in route:
                found.append("/" + route.lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))


def test_police_in_two_forums_never_see_both_forums_on_one_list(police_in_two, client):
    w = police_in_two
    client.force_login(w.police_member)
    # the police member does see both persons, one forum at a time
    assert client.get(f"/api/v1/persons/{w.person.pk}/").status_code == 200
    assert client.get(f"/api/v1/persons/{w.other_person.pk}/").status_code == 200
    routes = _parameterless_get_routes()
    assert "/api/v1/concerns/" in routes and "/personer/" in routes
    for route in routes:
        response = client.get(route)
        body = response.content.decode()
        both = w.person.pseudonym in body and w.other_person.pseudonym in body
        assert not both, f"{route} lists two forums to the police"


@pytest.mark.parametrize(
    "url",
    ["/api/v1/concerns/", "/api/v1/case-files/", "/api/v1/persons/", "/api/v1/persons/?q=ABCD"],
)
def test_police_api_lists_need_one_forum_and_refusals_are_recorded(police_in_two, client, url):
    w = police_in_two
    client.force_login(w.police_member)
    response = client.get(url)
    assert response.status_code == 403, response.content
    assert "§ 115" in response.json()["detail"]
    denial = AccessEvent.objects.filter(actor=w.police_member, action="denied").latest("id")
    assert "across_forums" in denial.reason
    scoped = client.get(url.split("?")[0] + f"?forum={w.forum.pk}")
    assert scoped.status_code == 200
    assert w.other_person.pseudonym not in scoped.content.decode()


def test_police_person_list_page_refuses_without_a_forum(police_in_two, client):
    client.force_login(police_in_two.police_member)
    response = client.get("/personer/")
    assert "§ 115" in response.content.decode()
    assert police_in_two.person.pseudonym not in response.content.decode()
    with pytest.raises(Exception, match="§ 115"):
        person_list_for(user=police_in_two.police_member, forum_id=None)


# --- Search text: the pseudonym alphabet only -------------------------------------------------


@pytest.mark.parametrize("q", ["Rasmus", "0103124567", "PSP-ABCD-EF", "a b", "Ida", "ABCDE"])
def test_a_search_outside_the_pseudonym_alphabet_is_400_and_not_logged(world, client, q):
    client.force_login(world.school_member)
    events = AccessEvent.objects.count()
    assert client.get("/api/v1/persons/", {"q": q}).status_code == 400
    assert client.get("/personer/", {"q": q}).status_code == 400
    assert AccessEvent.objects.count() == events
    assert not AccessEvent.objects.filter(search_criterion__contains=q).exists()


def test_a_pseudonym_search_is_logged_upper_case(world, client):
    client.force_login(world.school_member)
    part = world.person.pseudonym[:4].lower()
    response = client.get("/api/v1/persons/", {"q": part})
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["results"]] == [world.person.pk]
    assert AccessEvent.objects.filter(search_criterion=f"q={part.upper()}").exists()


# --- Two rules a mutation slipped past ---------------------------------------------------------

REVEAL_REASON = "Skal kontakte familien om det aftalte skolemøde i morgen."
NAMED_REASON = "Navngiven drøftelse er nødvendig for at koordinere indsatsen."


def test_a_revealed_identity_disappears_when_the_case_file_returns_to_anonymous(world, client):
    casefile_update(
        actor=world.coordinator, case_file=world.case_file, mode="named", reason=NAMED_REASON
    )
    client.force_login(world.school_member)
    page = f"/personer/{world.person.pk}/"
    response = client.post(f"/personer/{world.person.pk}/vis-identitet/", {"reason": REVEAL_REASON})
    assert response.status_code in (200, 302)
    assert PERSON_NAME in client.get(page).content.decode()
    casefile_update(actor=world.coordinator, case_file=world.case_file, mode="anonymous")
    body = client.get(page).content.decode()
    assert PERSON_NAME not in body
    assert PERSON_CPR not in body


def _born_18_years_ago_tomorrow() -> datetime.date:
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    try:
        return tomorrow.replace(year=tomorrow.year - 18)
    except ValueError:  # 29 February
        return tomorrow.replace(year=tomorrow.year - 18, day=28)


@pytest.mark.parametrize(
    ("kind", "accepted"),
    [(ForumKind.SSP, True), (ForumKind.PSP, False), (ForumKind.SSP_PLUS, False)],
)
def test_seventeen_today_eighteen_tomorrow(world, kind, accepted):
    from forums.rules import DEFAULT_AGE_BANDS

    low, high = DEFAULT_AGE_BANDS[kind]
    forum = Forum.objects.create(
        name=f"Grænse {kind}",
        kind=kind,
        municipality=world.forum.municipality,
        age_min=low,
        age_max=high,
    )
    Membership.objects.create(forum=forum, user=world.chair, role="chair")
    register = lambda: concern_register(  # noqa: E731 - one call, two outcomes
        actor=world.chair,
        forum=forum,
        identity=IdentityInput(name="Grænse Person", birth_date=_born_18_years_ago_tomorrow()),
        categories=["vold"],
        description="Bekymring.",
        source_agency=world.social,
        necessity=NECESSITY,
    )
    if accepted:
        assert register().concern.case_file.forum == forum
    else:
        with pytest.raises(ValidationError):
            register()
        assert not CaseFile.objects.filter(forum=forum).exists()


# --- Bad input that reached a 500 through shared helpers ----------------------------------


@pytest.mark.parametrize("pk", ["abc", "²", "1.5", ""])
def test_get_object_for_a_change_with_a_pk_that_is_no_id_is_404(world, pk):
    from django.http import Http404

    from core.permissions import get_object_for

    with pytest.raises(Http404):
        get_object_for(world.coordinator, CaseFile.objects.all(), pk, "change")


def test_a_session_years_ahead_is_400_and_not_created(world, client):
    from coordination.models import ForumSession

    client.force_login(world.coordinator)
    before = ForumSession.objects.count()
    response = post(
        client,
        f"/api/v1/forums/{world.forum.pk}/sessions/",
        {"starts_at": "9999-12-31T10:00:00+01:00", "location": "Rådhuset"},
    )
    assert response.status_code == 400, response.content
    assert "starts_at" in response.json()["errors"]
    assert ForumSession.objects.count() == before


def test_members_and_guests_come_from_agencies_serving_the_municipality(world, client):
    from coordination.meetings import guest_invite, session_create
    from coordination.models import AgendaGuest

    foreign = UserFactory.create(agency=AgencyFactory.create(name="Aarhus Skole"), roles=["member"])
    client.force_login(world.coordinator)
    response = post(client, f"/api/v1/forums/{world.forum.pk}/memberships/", {"user": foreign.pk})
    assert response.status_code == 400, response.content
    assert "user" in response.json()["errors"]
    assert not Membership.objects.filter(user=foreign).exists()

    session = session_create(
        actor=world.coordinator,
        forum=world.forum,
        starts_at=timezone.now() + datetime.timedelta(days=3),
    )
    item = session.items.get(case_file=world.case_file)
    errors = []
    for email in (foreign.email, "ingen@findes.invalid"):
        with pytest.raises(ValidationError) as refused:
            guest_invite(actor=world.chair, item=item, email=email, necessity=NECESSITY)
        errors.append(str(refused.value))
    assert errors[0] == errors[1]  # a foreign user is indistinguishable from no user
    assert not AgendaGuest.objects.exists()


def test_a_per_person_grant_goes_only_to_staff_serving_the_municipality(world):
    from persons.models import PersonGrant
    from persons.services import person_grant_create

    foreign = UserFactory.create(agency=AgencyFactory.create(name="Vejle Skole"), roles=["member"])
    with pytest.raises(ValidationError) as refused:
        person_grant_create(
            actor=world.chair,
            case_file=world.case_file,
            grantee=foreign,
            expires_at=timezone.now() + datetime.timedelta(days=5),
            reason=NECESSITY,
        )
    assert "user" in refused.value.message_dict
    assert not PersonGrant.objects.exists()
    assert not Disclosure.objects.filter(data_categories__contains=["helhedsplan"]).exists()


# --- Review findings: what a known CPR must not hand over ----------------------------------


def test_a_known_cpr_reveals_only_what_the_forum_was_told(world, client):
    """The outsider types the world's person's CPR with another name, takes their own case file
    to named discussion and reveals: they see the name they typed and no address, never what
    the first forum registered."""
    client.force_login(world.outsider)
    payload = {"forum": world.other_forum.pk, "source_agency": world.social.pk}
    body = post(client, CONCERNS, concern(world, PERSON_CPR, **payload)).json()
    case_file = CaseFile.objects.get(pk=body["concern"]["case_file"])
    assert case_file.person_id == world.person.pk  # matched, silently
    response = client.patch(
        f"/api/v1/case-files/{case_file.pk}/",
        {"mode": "named", "reason": NAMED_REASON},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    revealed = post(client, f"/api/v1/persons/{world.person.pk}/reveal/", {"reason": REVEAL_REASON})
    assert revealed.status_code == 200, revealed.content
    identity = revealed.json()
    assert identity["name"] == "Navn Navnesen"
    assert identity["address"] is None
    assert PERSON_NAME not in revealed.content.decode()
    assert "Testvej" not in revealed.content.decode()
    page = client.get(f"/personer/{world.person.pk}/").content.decode()
    assert "Navn Navnesen" in page and PERSON_NAME not in page and "Testvej" not in page


def test_putting_a_person_on_another_forum_passes_on_what_the_forum_knows(world):
    Membership.objects.create(forum=world.other_forum, user=world.coordinator, role="coordinator")
    case_file = casefile_open(
        actor=world.coordinator, person=world.person, forum=world.other_forum, necessity=NECESSITY
    )
    assert case_file.known_identity() == world.case_file.known_identity()
    assert case_file.known_identity().name == PERSON_NAME
    row = Disclosure.objects.get(
        source_id=case_file.pk, forum_id=world.other_forum.pk, data_categories=["identitet", "sag"]
    )
    assert row.from_agency == world.school


def test_person_ids_are_random_not_the_next_in_a_sequence(world, client):
    from persons.services import PERSON_ID_FLOOR

    client.force_login(world.school_member)
    ids = [
        post(client, CONCERNS, concern(world, cpr)).json()["person"]["id"]
        for cpr in ("0101124234", "0202124234", "0303124234")
    ]
    assert all(pid >= PERSON_ID_FLOOR for pid in ids)
    assert sorted(ids) != list(range(min(ids), min(ids) + 3))
    assert all(pid < 2**53 for pid in ids)  # exact in JavaScript


def test_a_ksp_concern_without_a_letter_is_refused_alike_for_known_and_new(world, client):
    ksp = Forum.objects.create(
        name="KSP Test", kind=ForumKind.KSP, municipality=world.forum.municipality
    )
    Membership.objects.create(forum=ksp, user=world.chair, role="chair")
    first = concern_register(
        actor=world.chair,
        forum=ksp,
        identity=IdentityInput(name="Kendt Person", cpr=NEW_CPR),
        categories=["vold"],
        description="Bekymring.",
        source_agency=world.social,
        necessity=NECESSITY,
        ksp_letter="a",
    )
    client.force_login(world.chair)
    answers = [
        post(
            client,
            CONCERNS,
            concern(world, cpr, forum=ksp.pk, source_agency=world.social.pk),
        )
        for cpr in (NEW_CPR, "0505124234")
    ]
    assert [a.status_code for a in answers] == [400, 400]
    assert answers[0].json() == answers[1].json()
    assert first.concern.case_file.concerns.count() == 1


def test_going_named_is_a_disclosure_of_the_identity(world):
    casefile_update(
        actor=world.coordinator, case_file=world.case_file, mode="named", reason=NAMED_REASON
    )
    row = Disclosure.objects.get(source_id=world.case_file.pk, data_categories=["identitet"])
    assert row.from_agency == world.school and reason_text(row) == NAMED_REASON
    assert set(row.to_agency_ids) == {world.police.pk, world.social.pk}


def test_an_administrator_cannot_widen_what_an_agency_or_municipality_serves(world):
    from accounts.models import Region

    region = Region.objects.create(name="Region Syddanmark")
    world.school.region = region
    with pytest.raises(ValidationError):
        world.school.save()
    municipality = world.forum.municipality
    municipality.region = region
    with pytest.raises(ValidationError):
        municipality.save()
    fresh = AgencyFactory.create(name="Ny Myndighed")  # not in use: may still be set up
    fresh.region = region
    fresh.save()


def test_police_see_a_person_on_two_forums_one_forum_at_a_time(police_in_two, client):
    w = police_in_two
    Membership.objects.create(forum=w.other_forum, user=w.coordinator, role="coordinator")
    other = casefile_open(
        actor=w.coordinator, person=w.person, forum=w.other_forum, necessity=NECESSITY
    )
    from coordination.services import note_create

    note_create(
        actor=w.coordinator,
        case_file=other,
        body="Notat kun i det andet forum",
        visibility="forum",
        necessity=NECESSITY,
    )
    client.force_login(w.police_member)
    listed = client.get("/api/v1/persons/", {"forum": w.forum.pk}).json()["results"]
    assert [cf["forum"] for p in listed for cf in p["case_files"]] == [w.forum.pk]
    detail = client.get(f"/api/v1/persons/{w.person.pk}/").json()
    assert len({cf["forum"] for cf in detail["case_files"]}) == 1
    first = client.get(f"/personer/{w.person.pk}/?forum={w.forum.pk}").content.decode()
    second = client.get(f"/personer/{w.person.pk}/?forum={w.other_forum.pk}").content.decode()
    assert "Notat kun i det andet forum" not in first
    assert "Notat kun i det andet forum" in second
    assert "Politiets oplysning" in first and "Politiets oplysning" not in second
    # a member who is not police sees both forums on one page, as before
    client.force_login(w.coordinator)
    both = client.get(f"/personer/{w.person.pk}/").content.decode()
    assert "Notat kun i det andet forum" in both and "Politiets oplysning" in both
