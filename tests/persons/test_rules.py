"""Rules of persons and case files through the API and services: the blind index per
municipality, named discussion, closing, memberships, reveal, KSP letters, consent, the age
band, and the police's per-forum access (§ 115 stk. 2)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from audit.models import AccessEvent
from audit.services import reason_text
from core.models import Notification
from forums.models import Forum, ForumKind, Membership
from persons.models import CaseFile, FocusPerson, Identity
from persons.services import IdentityInput, casefile_open, concern_register
from tests.factories import MunicipalityFactory
from tests.world import NECESSITY, PERSON_CPR, PERSON_NAME, World

pytestmark = pytest.mark.django_db

NAMED_REASON = "Navngiven drøftelse er nødvendig for at koordinere indsatsen."
REVEAL_REASON = "Skal kontakte familien om det aftalte skolemøde i morgen."
S115_NOTICE = "må ikke anvendes i efterforskningen af straffesager"


def post(client: Any, url: str, data: Any) -> Any:
    return client.post(url, data, content_type="application/json")


def patch(client: Any, url: str, data: Any) -> Any:
    return client.patch(url, data, content_type="application/json")


def concern(world: World, forum: Forum, cpr: str, **changes: Any) -> dict[str, Any]:
    return {
        "forum": forum.pk,
        "source_agency": world.school.pk,
        "necessity": NECESSITY,
        "categories": ["vold"],
        "identity": {"name": PERSON_NAME, "cpr": cpr},
        "description": "Bekymring om vold.",
        **changes,
    }


def case_file_url(case_file: CaseFile) -> str:
    return f"/api/v1/case-files/{case_file.pk}/"


def person_url(person: FocusPerson) -> str:
    return f"/api/v1/persons/{person.pk}/"


def make_named(client: Any, world: World) -> None:
    client.force_login(world.coordinator)
    response = patch(
        client, case_file_url(world.case_file), {"mode": "named", "reason": NAMED_REASON}
    )
    assert response.status_code == 200, response.content


def forum_in(world: World, kind: str, name: str, **fields: Any) -> Forum:
    return Forum.objects.create(
        name=name, kind=kind, municipality=world.forum.municipality, **fields
    )


# --- The blind index is scoped per municipality ----------------------------------------------


def test_same_cpr_in_the_same_municipality_finds_the_person(world, client):
    client.force_login(world.outsider)
    persons = FocusPerson.objects.count()
    response = post(
        client,
        "/api/v1/concerns/",
        concern(world, world.other_forum, PERSON_CPR, source_agency=world.social.pk),
    )
    assert response.status_code == 201, response.content
    assert response.json()["person"]["id"] == world.person.pk
    assert FocusPerson.objects.count() == persons
    # the person is now also on the other forum, with a case file of its own
    assert CaseFile.objects.open().filter(person=world.person, forum=world.other_forum).exists()
    assert CaseFile.objects.open().filter(person=world.person, forum=world.forum).exists()


def test_same_cpr_in_another_municipality_is_a_new_person(world, client):
    odense = MunicipalityFactory.create(code="461", name="Odense")
    forum_461 = Forum.objects.create(
        name="SSP Odense", kind=ForumKind.SSP, municipality=odense, age_max=17
    )
    Membership.objects.create(forum=forum_461, user=world.school_member)
    client.force_login(world.school_member)
    persons = FocusPerson.objects.count()

    response = post(client, "/api/v1/concerns/", concern(world, forum_461, PERSON_CPR))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["person"]["id"] != world.person.pk
    assert FocusPerson.objects.count() == persons + 1
    new_person = FocusPerson.objects.get(pk=body["person"]["id"])
    assert new_person.municipality_id == odense.pk
    new_identity = Identity.objects.get(person=new_person)
    assert new_identity.cpr == PERSON_CPR
    assert new_identity.cpr_index != Identity.objects.get(person=world.person).cpr_index

    # within Odense, the same CPR now finds the Odense person
    again = post(client, "/api/v1/concerns/", concern(world, forum_461, "010312-4567"))
    assert again.status_code == 201, again.content
    assert again.json()["person"]["id"] == new_person.pk
    assert FocusPerson.objects.count() == persons + 1


# --- Named discussion ---------------------------------------------------------------------


@pytest.mark.parametrize("reason", [None, "", "for kort", " " * 30])
def test_turning_named_needs_a_reason(world, client, reason):
    client.force_login(world.coordinator)
    payload: dict[str, Any] = {"mode": "named"}
    if reason is not None:
        payload["reason"] = reason
    response = patch(client, case_file_url(world.case_file), payload)
    assert response.status_code == 400, response.content
    body = response.json()
    assert "detail" in body
    assert "reason" in body["errors"], body
    world.case_file.refresh_from_db()
    assert world.case_file.discussion_mode == CaseFile.Mode.ANONYMOUS
    assert world.case_file.named_reason is None


def test_turning_named_with_a_reason(world, client):
    client.force_login(world.coordinator)
    response = patch(
        client, case_file_url(world.case_file), {"mode": "named", "reason": NAMED_REASON}
    )
    assert response.status_code == 200, response.content
    assert response.json()["mode"] == "named"
    assert response.json()["named_reason"] == NAMED_REASON
    world.case_file.refresh_from_db()
    assert world.case_file.discussion_mode == CaseFile.Mode.NAMED
    assert world.case_file.named_reason == NAMED_REASON
    # and back to anonymous needs no reason
    response = patch(client, case_file_url(world.case_file), {"mode": "anonymous"})
    assert response.status_code == 200, response.content
    assert response.json()["mode"] == "anonymous"


@pytest.mark.parametrize(
    "payload",
    [{"mode": "named", "reason": NAMED_REASON}, {"closed_reason": "Afsluttet efter forløbet"}],
)
def test_a_plain_member_cannot_change_a_case_file(world, client, payload):
    """The member sees the case file, so the refusal is 403 (core.permissions.get_object_for:
    "seen but not theirs to change"), not 404."""
    client.force_login(world.school_member)
    assert client.get(case_file_url(world.case_file)).status_code == 200
    response = patch(client, case_file_url(world.case_file), payload)
    assert response.status_code == 403, response.content
    world.case_file.refresh_from_db()
    assert world.case_file.discussion_mode == CaseFile.Mode.ANONYMOUS
    assert world.case_file.closed_at is None


def test_an_outsider_gets_404_on_a_case_file(world, client):
    client.force_login(world.outsider)
    assert client.get(case_file_url(world.case_file)).status_code == 404
    response = patch(client, case_file_url(world.case_file), {"closed_reason": "Lukket udefra"})
    assert response.status_code == 404
    world.case_file.refresh_from_db()
    assert world.case_file.closed_at is None


# --- Access ends at once ------------------------------------------------------------------


def test_closing_the_case_file_ends_access_at_once(world, client):
    client.force_login(world.school_member)
    assert client.get(person_url(world.person)).status_code == 200

    client.force_login(world.chair)
    response = patch(
        client, case_file_url(world.case_file), {"closed_reason": "Forløbet er afsluttet"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed"
    assert response.json()["closed_reason"] == "Forløbet er afsluttet"

    for user in (world.school_member, world.chair, world.police_member):
        client.force_login(user)
        assert client.get(person_url(world.person)).status_code == 404
        listed = client.get(f"/api/v1/persons/?forum={world.forum.pk}")
        assert listed.status_code == 200
        assert [p["id"] for p in listed.json()["results"]] == []
        notes = client.get(f"/api/v1/case-files/{world.case_file.pk}/notes/")
        assert notes.status_code == 404


def test_closing_needs_a_reason(world, client):
    client.force_login(world.chair)
    response = patch(client, case_file_url(world.case_file), {"closed_reason": "   "})
    assert response.status_code == 400, response.content
    assert "closed_reason" in response.json()["errors"]
    world.case_file.refresh_from_db()
    assert world.case_file.closed_at is None


def test_ending_a_membership_ends_access_at_once(world, client):
    membership = Membership.objects.get(forum=world.forum, user=world.school_member)
    client.force_login(world.school_member)
    assert client.get(person_url(world.person)).status_code == 200

    client.force_login(world.coordinator)
    response = client.delete(f"/api/v1/memberships/{membership.pk}/")
    assert response.status_code == 204, response.content
    membership.refresh_from_db()
    assert membership.valid_to == timezone.localdate()

    client.force_login(world.school_member)
    assert client.get(person_url(world.person)).status_code == 404
    assert client.get(f"/api/v1/case-files/{world.case_file.pk}/notes/").status_code == 404
    forums = client.get("/api/v1/forums/").json()["results"]
    assert world.forum.pk not in [f["id"] for f in forums]


def test_a_plain_member_cannot_end_a_membership(world, client):
    membership = Membership.objects.get(forum=world.forum, user=world.police_member)
    client.force_login(world.school_member)
    response = client.delete(f"/api/v1/memberships/{membership.pk}/")
    assert response.status_code in (403, 404), response.content
    membership.refresh_from_db()
    assert membership.valid_to is None
    client.force_login(world.outsider)  # coordinator, but of another forum
    assert client.delete(f"/api/v1/memberships/{membership.pk}/").status_code == 404
    membership.refresh_from_db()
    assert membership.valid_to is None


def test_expired_member_sees_nothing(world, client):
    client.force_login(world.expired_member)
    assert client.get(person_url(world.person)).status_code == 404
    assert client.get(case_file_url(world.case_file)).status_code == 404
    assert client.get(f"/api/v1/case-files/{world.case_file.pk}/notes/").status_code == 404
    assert client.get("/api/v1/persons/").json()["results"] == []
    assert client.get("/api/v1/forums/").json()["results"] == []


# --- Reveal -------------------------------------------------------------------------------


def reveal_url(world: World) -> str:
    return f"/api/v1/persons/{world.person.pk}/reveal/"


def test_reveal_on_an_anonymous_case_file_is_refused(world, client):
    """Brief: 404. The code answers 403 (the person is visible, only not revealable); either
    way no identity leaves and nothing is recorded as a reveal."""
    client.force_login(world.school_member)
    response = post(client, reveal_url(world), {"reason": REVEAL_REASON})
    assert response.status_code in (403, 404), response.content
    assert PERSON_NAME not in response.content.decode()
    assert PERSON_CPR not in response.content.decode()
    assert not AccessEvent.objects.filter(action=AccessEvent.Action.REVEAL_IDENTITY).exists()
    assert not Notification.objects.filter(kind="identity_revealed").exists()


def test_reveal_by_an_outsider_is_404_even_when_named(world, client):
    make_named(client, world)
    client.force_login(world.outsider)
    response = post(client, reveal_url(world), {"reason": REVEAL_REASON})
    assert response.status_code == 404
    assert PERSON_NAME not in response.content.decode()


@pytest.mark.parametrize("reason", ["", "for kort", " " * 40])
def test_reveal_needs_a_reason(world, client, reason):
    make_named(client, world)
    client.force_login(world.school_member)
    response = post(client, reveal_url(world), {"reason": reason})
    assert response.status_code == 400, response.content
    assert "reason" in response.json()["errors"]
    assert PERSON_NAME not in response.content.decode()
    assert not AccessEvent.objects.filter(action=AccessEvent.Action.REVEAL_IDENTITY).exists()


def test_reveal_returns_identity_audits_and_notifies(world, client):
    make_named(client, world)
    notified_before = set(Notification.objects.values_list("pk", flat=True))
    client.force_login(world.school_member)
    before = timezone.now()
    response = post(client, reveal_url(world), {"reason": REVEAL_REASON})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == PERSON_NAME
    assert body["cpr"] == PERSON_CPR
    expires_at = parse_datetime(body["expires_at"])
    assert expires_at is not None
    assert (
        before + datetime.timedelta(minutes=29)
        <= expires_at
        <= timezone.now() + datetime.timedelta(minutes=31)
    )

    events = AccessEvent.objects.filter(
        action=AccessEvent.Action.REVEAL_IDENTITY, actor=world.school_member
    )
    assert events.count() == 1
    event = events.get()
    assert event.person_ids == [world.person.pk]
    assert event.person_pseudonyms == [world.person.pseudonym]
    assert reason_text(event) == REVEAL_REASON  # sealed under the case file's key
    assert event.actor_agency_id == world.school.pk

    new = Notification.objects.exclude(pk__in=notified_before).filter(kind="identity_revealed")
    assert set(new.values_list("recipient_id", flat=True)) == {world.chair.pk, world.dpo.pk}
    assert new.count() == 2
    for notification in new:
        assert world.person.pseudonym in notification.message
        assert PERSON_NAME not in notification.message
        assert PERSON_CPR not in notification.message


def test_reveal_by_the_chair_does_not_notify_the_chair(world, client):
    make_named(client, world)
    client.force_login(world.chair)
    response = post(client, reveal_url(world), {"reason": REVEAL_REASON})
    assert response.status_code == 200, response.content
    recipients = set(
        Notification.objects.filter(kind="identity_revealed").values_list("recipient_id", flat=True)
    )
    assert recipients == {world.dpo.pk}


def test_reveal_ends_when_the_case_file_goes_back_to_anonymous(world, client):
    make_named(client, world)
    response = patch(client, case_file_url(world.case_file), {"mode": "anonymous"})
    assert response.status_code == 200
    client.force_login(world.school_member)
    response = post(client, reveal_url(world), {"reason": REVEAL_REASON})
    assert response.status_code in (403, 404)
    assert PERSON_NAME not in response.content.decode()


# --- Opening case files: KSP letter, consent, age band -------------------------------------


def test_opening_a_ksp_case_file_needs_a_letter(world, client):
    ksp = forum_in(world, ForumKind.KSP, "KSP Test")
    Membership.objects.create(forum=ksp, user=world.coordinator, role=Membership.Role.COORDINATOR)
    client.force_login(world.coordinator)
    payload = {"person": world.person.pk, "necessity": NECESSITY, "forum": ksp.pk}
    response = post(client, "/api/v1/case-files/", payload)
    assert response.status_code == 400, response.content
    assert "detail" in response.json()
    assert not CaseFile.objects.filter(forum=ksp).exists()

    response = post(client, "/api/v1/case-files/", {**payload, "cooperation": "b"})
    assert response.status_code == 201, response.content
    assert response.json()["ksp_letter"] == "b"
    assert CaseFile.objects.get(forum=ksp).ksp_letter == "b"


def test_missing_ksp_letter_error_names_the_request_field(world, client):
    """api.md: errors are keyed by the field the client sent; the case-file endpoint takes the
    letter as ``cooperation``."""
    ksp = forum_in(world, ForumKind.KSP, "KSP Test")
    Membership.objects.create(forum=ksp, user=world.coordinator, role=Membership.Role.COORDINATOR)
    client.force_login(world.coordinator)
    response = post(
        client,
        "/api/v1/case-files/",
        {"person": world.person.pk, "necessity": NECESSITY, "forum": ksp.pk},
    )
    assert response.status_code == 400, response.content
    assert "cooperation" in response.json()["errors"], response.json()


def test_letter_outside_ksp_is_refused(world, client):
    infohus = forum_in(world, ForumKind.INFOHUS, "Infohus Test")
    Membership.objects.create(
        forum=infohus, user=world.coordinator, role=Membership.Role.COORDINATOR
    )
    client.force_login(world.coordinator)
    response = post(
        client,
        "/api/v1/case-files/",
        {
            "person": world.person.pk,
            "necessity": NECESSITY,
            "forum": infohus.pk,
            "cooperation": "a",
        },
    )
    assert response.status_code == 400, response.content
    assert not CaseFile.objects.filter(forum=infohus).exists()


@pytest.mark.parametrize("reason", [None, "", "nej tak"])
def test_refused_consent_needs_a_reason(world, client, reason):
    infohus = forum_in(world, ForumKind.INFOHUS, "Infohus Test")
    Membership.objects.create(
        forum=infohus, user=world.coordinator, role=Membership.Role.COORDINATOR
    )
    client.force_login(world.coordinator)
    payload: dict[str, Any] = {
        "person": world.person.pk,
        "necessity": NECESSITY,
        "forum": infohus.pk,
        "consent": "refused",
    }
    if reason is not None:
        payload["consent_refused_reason"] = reason
    response = post(client, "/api/v1/case-files/", payload)
    assert response.status_code == 400, response.content
    assert "consent_refused_reason" in response.json()["errors"], response.json()
    assert not CaseFile.objects.filter(forum=infohus).exists()


def test_refused_consent_with_a_reason_opens_the_case_file(world, client):
    infohus = forum_in(world, ForumKind.INFOHUS, "Infohus Test")
    Membership.objects.create(
        forum=infohus, user=world.coordinator, role=Membership.Role.COORDINATOR
    )
    client.force_login(world.coordinator)
    reason = "Risikoen for radikalisering vejer tungere end afslaget."
    response = post(
        client,
        "/api/v1/case-files/",
        {
            "person": world.person.pk,
            "necessity": NECESSITY,
            "forum": infohus.pk,
            "consent": "refused",
            "consent_refused_reason": reason,
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["consent"] == "refused"
    assert response.json()["consent_refused_reason"] == reason


def test_a_second_open_case_file_in_the_same_forum_is_refused(world, client):
    client.force_login(world.coordinator)
    response = post(
        client,
        "/api/v1/case-files/",
        {"person": world.person.pk, "necessity": NECESSITY, "forum": world.forum.pk},
    )
    assert response.status_code == 400, response.content
    assert "person" in response.json()["errors"]
    assert CaseFile.objects.filter(person=world.person, forum=world.forum).count() == 1


def test_a_plain_member_cannot_open_a_case_file(world, client):
    infohus = forum_in(world, ForumKind.INFOHUS, "Infohus Test")
    Membership.objects.create(forum=infohus, user=world.school_member)
    client.force_login(world.school_member)
    response = post(
        client,
        "/api/v1/case-files/",
        {"person": world.person.pk, "necessity": NECESSITY, "forum": infohus.pk},
    )
    assert response.status_code in (403, 404), response.content
    assert not CaseFile.objects.filter(forum=infohus).exists()


def _eighteen_today() -> datetime.date:
    today = timezone.localdate()
    try:
        return today.replace(year=today.year - 18)
    except ValueError:  # 29 February
        return today.replace(year=today.year - 18, day=28)


def test_turning_18_in_ssp_is_not_a_move_to_ssp_plus(world, client):
    """Someone who has turned 18 stays on SSP's list; only an SSP+ coordinator's recorded
    decision (casefile_open) puts them on SSP+."""
    ssp_plus = forum_in(world, ForumKind.SSP_PLUS, "SSP+ Test", age_min=18, age_max=25)
    Membership.objects.create(
        forum=ssp_plus, user=world.coordinator, role=Membership.Role.COORDINATOR
    )
    Membership.objects.create(forum=ssp_plus, user=world.school_member)
    # registered in SSP while the band allowed it; now 18
    world.forum.age_max = 18
    world.forum.save()
    result = concern_register(
        actor=world.school_member,
        forum=world.forum,
        identity=IdentityInput(name="Jonas Attenår", birth_date=_eighteen_today()),
        categories=["vold"],
        description="Bekymring fra før det fyldte 18.",
        source_agency=world.school,
        necessity=NECESSITY,
    )
    world.forum.age_max = 17
    world.forum.save()
    person = result.person
    ssp_case_file = result.concern.case_file

    # nothing moved them
    assert list(CaseFile.objects.filter(person=person).values_list("forum_id", flat=True)) == [
        world.forum.pk
    ]

    # a plain SSP+ member cannot open, neither by service nor by API
    with pytest.raises(PermissionDenied):
        casefile_open(actor=world.school_member, person=person, forum=ssp_plus, necessity=NECESSITY)
    client.force_login(world.school_member)
    response = post(
        client,
        "/api/v1/case-files/",
        {"person": person.pk, "forum": ssp_plus.pk, "necessity": NECESSITY},
    )
    assert response.status_code in (403, 404), response.content
    # SSP's chair is not SSP+'s coordinator
    with pytest.raises(PermissionDenied):
        casefile_open(actor=world.chair, person=person, forum=ssp_plus, necessity=NECESSITY)
    client.force_login(world.chair)
    response = post(
        client,
        "/api/v1/case-files/",
        {"person": person.pk, "forum": ssp_plus.pk, "necessity": NECESSITY},
    )
    assert response.status_code == 404, response.content
    assert not CaseFile.objects.filter(person=person, forum=ssp_plus).exists()

    # the SSP+ coordinator decides
    client.force_login(world.coordinator)
    response = post(
        client,
        "/api/v1/case-files/",
        {"person": person.pk, "forum": ssp_plus.pk, "necessity": NECESSITY},
    )
    assert response.status_code == 201, response.content
    assert response.json()["forum"] == ssp_plus.pk
    assert response.json()["opened_at"]
    ssp_case_file.refresh_from_db()
    assert ssp_case_file.is_open  # SSP's own case file is SSP's to close
    assert CaseFile.objects.get(person=person, forum=ssp_plus).opened_by_id == world.coordinator.pk


def test_the_ssp_plus_age_band_refuses_a_14_year_old(world):
    ssp_plus = forum_in(world, ForumKind.SSP_PLUS, "SSP+ Test", age_min=18, age_max=25)
    Membership.objects.create(
        forum=ssp_plus, user=world.coordinator, role=Membership.Role.COORDINATOR
    )
    with pytest.raises(ValidationError) as refusal:
        casefile_open(
            actor=world.coordinator, person=world.person, forum=ssp_plus, necessity=NECESSITY
        )
    assert "forum" in refusal.value.message_dict
    assert not CaseFile.objects.filter(forum=ssp_plus).exists()


# --- Police: per forum only ------------------------------------------------------------------


def test_police_cannot_list_persons_across_forums(world, client):
    client.force_login(world.police_member)
    response = client.get("/api/v1/persons/")
    assert response.status_code == 403, response.content
    assert "detail" in response.json()
    assert world.person.pseudonym not in response.content.decode()


def test_police_list_persons_per_forum(world, client):
    client.force_login(world.police_member)
    response = client.get(f"/api/v1/persons/?forum={world.forum.pk}")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [p["id"] for p in results] == [world.person.pk]
    assert results[0]["pseudonym"] == world.person.pseudonym
    assert PERSON_NAME not in response.content.decode()


@pytest.mark.parametrize("query", ["SSP", "ssp", "x"])
def test_police_cannot_search(world, client, query):
    client.force_login(world.police_member)
    response = client.get(f"/api/v1/persons/?forum={world.forum.pk}&q={query}")
    assert response.status_code == 403, response.content
    assert world.person.pseudonym not in response.content.decode()


def test_others_may_search_pseudonyms(world, client):
    client.force_login(world.school_member)
    response = client.get(f"/api/v1/persons/?q={world.person.pseudonym[4:8]}")
    assert response.status_code == 200, response.content
    assert [p["id"] for p in response.json()["results"]] == [world.person.pk]
    search = AccessEvent.objects.filter(
        actor=world.school_member, search_criterion__startswith="q="
    )
    assert search.exists()


def test_forum_filter_reveals_nothing_about_forums_the_user_is_not_in(world, client):
    """The person is on both forums; a member of one may not learn, by filtering on the other
    forum's id, that the person is on that forum's list too (need-to-know per forum; for the
    police it is exactly the cross-forum search § 115 stk. 2 forbids)."""
    concern_register(
        actor=world.outsider,
        forum=world.other_forum,
        identity=IdentityInput(name=PERSON_NAME, cpr=PERSON_CPR),
        categories=["vold"],
        description="Samme person i det andet forum.",
        source_agency=world.social,
        necessity=NECESSITY,
    )
    leaks = []
    for user in (world.school_member, world.police_member):
        client.force_login(user)
        response = client.get(f"/api/v1/persons/?forum={world.other_forum.pk}")
        assert response.status_code in (200, 403, 404), response.content
        if response.status_code == 200 and response.json()["results"]:
            leaks.append((user.full_name, [p["id"] for p in response.json()["results"]]))
        page = client.get(f"/personer/?forum={world.other_forum.pk}")
        assert page.status_code in (200, 403, 404)
        if world.person.pseudonym in page.content.decode():
            leaks.append((user.full_name, "/personer/"))
    assert leaks == []


# --- The § 115 stk. 2 notice on every forum and person page -----------------------------


@pytest.mark.parametrize("persona", ["school_member", "police_member", "coordinator"])
def test_every_forum_and_person_page_carries_the_s115_notice(world, client, persona):
    client.force_login(getattr(world, persona))
    pages = [
        "/fora/",
        f"/fora/{world.forum.pk}/",
        "/personer/",
        f"/personer/?forum={world.forum.pk}",
        f"/personer/{world.person.pk}/",
        "/bekymringer/ny/",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, (page, response.status_code)
        assert S115_NOTICE in response.content.decode(), page
