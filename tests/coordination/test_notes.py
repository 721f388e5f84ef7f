"""Notes: who sees which, sharing as a § 115 disclosure with the derived legal basis, and
content-blind roles that never receive note text."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Agency, User
from audit.models import Disclosure
from audit.services import reason_text
from coordination.models import Note
from coordination.services import note_create
from forums.models import Forum, ForumKind, Membership
from persons.services import IdentityInput, concern_register
from tests.factories import AgencyFactory, UserFactory
from tests.world import (
    AGENCY_NOTE_TEXT,
    CONCERN_TEXT,
    FORUM_NOTE_TEXT,
    NECESSITY,
    OTHER_CPR,
    OTHER_NAME,
    PERSON_CPR,
    PERSON_NAME,
    World,
)

pytestmark = pytest.mark.django_db


def post(client: Any, url: str, data: Any) -> Any:
    return client.post(url, data, content_type="application/json")


def notes_url(case_file: Any) -> str:
    return f"/api/v1/case-files/{case_file.pk}/notes/"


def share_url(note: Note) -> str:
    return f"/api/v1/notes/{note.pk}/share/"


def agency_in(world: World, name: str, kind: str, **fields: Any) -> Agency:
    return AgencyFactory.create(
        name=name, kind=kind, municipality=world.forum.municipality, **fields
    )


def member(forum: Forum, user: User, **fields: Any) -> Membership:
    fields.setdefault("valid_from", datetime.date(2026, 1, 1))
    return Membership.objects.create(forum=forum, user=user, **fields)


def share(client: Any, user: User, note: Note, necessity: str = NECESSITY) -> Disclosure:
    """Share through the API and return the one disclosure it wrote."""
    before = set(Disclosure.objects.values_list("pk", flat=True))
    client.force_login(user)
    response = post(client, share_url(note), {"necessity": necessity})
    assert response.status_code == 200, response.content
    new = Disclosure.objects.exclude(pk__in=before)
    assert new.count() == 1
    return new.get()


# --- Sharing writes one disclosure --------------------------------------------------------


def test_sharing_writes_exactly_one_disclosure(world, client):
    disclosure = share(client, world.school_member, world.agency_note)
    assert disclosure.actor_id == world.school_member.pk
    assert disclosure.from_agency_id == world.school.pk
    assert disclosure.to_agency_ids == sorted([world.police.pk, world.social.pk])
    assert disclosure.forum_id == world.forum.pk
    assert disclosure.person_id == world.person.pk
    assert disclosure.person_pseudonym == world.person.pseudonym
    assert disclosure.source_id == world.agency_note.pk
    assert disclosure.source_type.model_class() is Note
    assert disclosure.paragraph == "stk2"
    assert disclosure.cooperation == "nr1"
    assert reason_text(disclosure) == NECESSITY  # sealed under the case file's key
    assert "notat" in disclosure.data_categories
    # metadata only: no content in the disclosure record
    for value in (AGENCY_NOTE_TEXT, PERSON_NAME, PERSON_CPR):
        assert value not in str(disclosure.__dict__)

    note = Note.objects.get(pk=world.agency_note.pk)
    assert note.visibility == Note.Visibility.FORUM
    assert note.shared_by_id == world.school_member.pk
    assert note.shared_at is not None
    assert (note.legal_paragraph, note.legal_cooperation) == ("stk2", "nr1")


def test_share_response_carries_the_basis(world, client):
    client.force_login(world.school_member)
    response = post(client, share_url(world.agency_note), {"necessity": NECESSITY})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == world.agency_note.pk
    assert body["visibility"] == "forum"
    assert body["necessity"] == NECESSITY
    assert body["legal_basis"] == {"paragraph": "stk2", "cooperation": "nr1"}


def test_receivers_are_current_members_only(world, client):
    """An ended or not yet started membership receives nothing; an agency is a receiver only
    through a current member."""
    club = agency_in(world, "Ungdomsklubben", Agency.Kind.ANDET)
    jobcentre = agency_in(world, "Jobcentret", Agency.Kind.ANDET)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    member(world.forum, UserFactory(agency=club, roles=["member"]), valid_to=yesterday)
    member(world.forum, UserFactory(agency=jobcentre, roles=["member"]), valid_from=tomorrow)
    # the expired member in the world is from the school, the disclosing agency itself
    assert world.expired_member.agency_id == world.school.pk

    disclosure = share(client, world.school_member, world.agency_note)
    assert club.pk not in disclosure.to_agency_ids
    assert jobcentre.pk not in disclosure.to_agency_ids
    assert world.school.pk not in disclosure.to_agency_ids
    assert disclosure.to_agency_ids == sorted([world.police.pk, world.social.pk])


def test_an_expired_member_s_agency_still_receives_through_a_current_member(world, client):
    """The expired social worker's agency receives because the chair (social) is current."""
    expired_social = UserFactory(agency=world.social, roles=["member"])
    member(
        world.forum,
        expired_social,
        valid_from=datetime.date(2025, 1, 1),
        valid_to=timezone.localdate() - datetime.timedelta(days=1),
    )
    disclosure = share(client, world.school_member, world.agency_note)
    assert world.social.pk in disclosure.to_agency_ids


def test_police_sharing_is_stk1(world, client):
    client.force_login(world.police_member)
    response = post(client, notes_url(world.case_file), {"body": "Politiets eget notat"})
    assert response.status_code == 201, response.content
    assert response.json()["visibility"] == "agency"
    note = Note.objects.get(pk=response.json()["id"])
    assert note.agency_id == world.police.pk

    disclosure = share(client, world.police_member, note)
    assert disclosure.paragraph == "stk1"
    assert disclosure.cooperation == "nr1"
    assert disclosure.from_agency_id == world.police.pk
    assert disclosure.to_agency_ids == sorted([world.school.pk, world.social.pk])


def test_self_governing_institution_sharing_is_stk3(world, client):
    school = agency_in(
        world, "Den Selvejende Efterskole", Agency.Kind.ANDET, is_self_governing=True
    )
    teacher = UserFactory(agency=school, roles=["member"])
    member(world.forum, teacher)
    note = note_create(actor=teacher, case_file=world.case_file, body="Efterskolens iagttagelse")

    disclosure = share(client, teacher, note)
    assert disclosure.paragraph == "stk3"
    assert disclosure.cooperation == "nr1"
    assert disclosure.from_agency_id == school.pk
    assert disclosure.to_agency_ids == sorted([world.school.pk, world.police.pk, world.social.pk])


def test_a_forum_note_written_directly_is_one_disclosure(world, client):
    before = Disclosure.objects.count()
    client.force_login(world.chair)  # social services
    response = post(
        client,
        notes_url(world.case_file),
        {"body": "Socialforvaltningens vurdering", "visibility": "forum", "necessity": NECESSITY},
    )
    assert response.status_code == 201, response.content
    assert response.json()["legal_basis"] == {"paragraph": "stk2", "cooperation": "nr1"}
    assert Disclosure.objects.count() == before + 1
    disclosure = Disclosure.objects.get(source_id=response.json()["id"], source_type__model="note")
    assert reason_text(disclosure) == NECESSITY  # sealed under the case file's key
    assert disclosure.from_agency_id == world.social.pk
    assert disclosure.to_agency_ids == sorted([world.school.pk, world.police.pk])


# Letter b (under 18, leaving placement) is refused for adults: the KSP person is 16.
SIXTEEN_YEARS_OLD = datetime.date(timezone.localdate().year - 16, 4, 3)


@pytest.mark.parametrize(("letter", "cooperation"), [("a", "nr3a"), ("b", "nr3b"), ("c", "nr3c")])
def test_ksp_sharing_follows_the_case_file_letter(world, client, letter, cooperation):
    ksp = Forum.objects.create(
        name="KSP Test", kind=ForumKind.KSP, municipality=world.forum.municipality
    )
    member(ksp, world.coordinator, role=Membership.Role.COORDINATOR)
    member(ksp, world.school_member)
    member(ksp, world.police_member)
    result = concern_register(
        actor=world.school_member,
        forum=ksp,
        identity=IdentityInput(name="Kasper Løsladt", birth_date=SIXTEEN_YEARS_OLD),
        categories=["loesladelse"],
        description="Løsladelse nærmer sig.",
        source_agency=world.school,
        necessity=NECESSITY,
        ksp_letter=letter,
    )
    case_file = result.concern.case_file
    assert case_file.ksp_letter == letter

    client.force_login(world.school_member)
    response = post(client, notes_url(case_file), {"body": "Skolens oplysning"})
    assert response.status_code == 201, response.content
    note = Note.objects.get(pk=response.json()["id"])
    disclosure = share(client, world.school_member, note)
    assert disclosure.paragraph == "stk2"
    assert disclosure.cooperation == cooperation
    assert disclosure.forum_id == ksp.pk
    assert disclosure.to_agency_ids == [world.police.pk]


def test_ksp_refuses_another_letter(world, client):
    ksp = Forum.objects.create(
        name="KSP Test", kind=ForumKind.KSP, municipality=world.forum.municipality
    )
    member(ksp, world.school_member)
    result = concern_register(
        actor=world.school_member,
        forum=ksp,
        identity=IdentityInput(name="Kasper Løsladt", birth_date=SIXTEEN_YEARS_OLD),
        categories=["loesladelse"],
        description="Løsladelse nærmer sig.",
        source_agency=world.school,
        necessity=NECESSITY,
        ksp_letter="b",
    )
    note = note_create(actor=world.school_member, case_file=result.concern.case_file, body="Notat")
    before = Disclosure.objects.count()
    client.force_login(world.school_member)
    response = post(
        client, share_url(note), {"necessity": NECESSITY, "legal_basis": {"cooperation": "nr3a"}}
    )
    assert response.status_code == 400, response.content
    assert "legal_basis" in response.json()["errors"]
    assert Disclosure.objects.count() == before


@pytest.mark.parametrize(("kind", "cooperation"), [(ForumKind.PSP, "nr2"), (ForumKind.S115, "nr1")])
def test_forum_kind_decides_the_cooperation(world, client, kind, cooperation):
    forum = Forum.objects.create(
        name=f"{kind} Test", kind=kind, municipality=world.forum.municipality
    )
    member(forum, world.school_member)
    birth = datetime.date(2000, 1, 1) if kind == ForumKind.PSP else datetime.date(2012, 1, 1)
    result = concern_register(
        actor=world.school_member,
        forum=forum,
        identity=IdentityInput(name="Pia Person", birth_date=birth),
        categories=["psykisk_saarbarhed"],
        description="Bekymring.",
        source_agency=world.school,
        necessity=NECESSITY,
    )
    note = note_create(actor=world.school_member, case_file=result.concern.case_file, body="Notat")
    disclosure = share(client, world.school_member, note)
    assert disclosure.cooperation == cooperation


# --- Who sees which note ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "sees_agency_note"),
    [
        ("school_member", True),  # the author
        ("coordinator", True),  # the author's agency
        ("police_member", False),
        ("chair", False),  # social services
    ],
)
def test_note_visibility_per_persona(world, client, persona, sees_agency_note):
    client.force_login(getattr(world, persona))
    response = client.get(notes_url(world.case_file))
    assert response.status_code == 200, response.content
    ids = sorted(n["id"] for n in response.json()["results"])
    expected = [world.forum_note.pk] + ([world.agency_note.pk] if sees_agency_note else [])
    assert ids == sorted(expected)
    assert response.json()["count"] == len(expected)
    if not sees_agency_note:
        assert AGENCY_NOTE_TEXT not in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "sees_agency_note"),
    [("school_member", True), ("coordinator", True), ("police_member", False), ("chair", False)],
)
def test_members_read_the_note_text(world, client, persona, sees_agency_note):
    """Notes are stored encrypted, but a member who may see a note reads its text (api.md:
    "encrypted notes: body ..."), not the ciphertext."""
    client.force_login(getattr(world, persona))
    response = client.get(notes_url(world.case_file))
    assert response.status_code == 200
    bodies = {n["id"]: n["body"] for n in response.json()["results"]}
    assert bodies[world.forum_note.pk] == FORUM_NOTE_TEXT
    if sees_agency_note:
        assert bodies[world.agency_note.pk] == AGENCY_NOTE_TEXT


def test_a_new_note_is_returned_as_written(world, client):
    client.force_login(world.school_member)
    response = post(client, notes_url(world.case_file), {"body": "Nyt notat fra skolen"})
    assert response.status_code == 201, response.content
    assert response.json()["body"] == "Nyt notat fra skolen"
    assert Note.objects.get(pk=response.json()["id"]).body == "Nyt notat fra skolen"


def test_concern_description_is_returned_as_written(world, client):
    client.force_login(world.school_member)
    response = client.get("/api/v1/concerns/")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [c["id"] for c in results] == [world.concern.pk]
    assert results[0]["description"] == CONCERN_TEXT


def test_shared_note_becomes_visible_to_the_forum(world, client):
    share(client, world.school_member, world.agency_note)
    for persona in ("police_member", "chair"):
        client.force_login(getattr(world, persona))
        ids = {n["id"] for n in client.get(notes_url(world.case_file)).json()["results"]}
        assert ids == {world.agency_note.pk, world.forum_note.pk}


def test_another_school_user_may_share_the_school_note(world, client):
    disclosure = share(client, world.coordinator, world.agency_note)
    assert disclosure.actor_id == world.coordinator.pk
    assert disclosure.from_agency_id == world.school.pk


def test_police_cannot_share_the_school_note(world, client):
    before = Disclosure.objects.count()
    client.force_login(world.police_member)
    response = post(client, share_url(world.agency_note), {"necessity": NECESSITY})
    assert response.status_code == 404, response.content
    assert AGENCY_NOTE_TEXT not in response.content.decode()
    assert Disclosure.objects.count() == before
    assert Note.objects.get(pk=world.agency_note.pk).visibility == Note.Visibility.AGENCY


@pytest.mark.parametrize("persona", ["outsider", "expired_member"])
def test_non_members_get_404_on_notes(world, client, persona):
    client.force_login(getattr(world, persona))
    before = Disclosure.objects.count()
    assert client.get(notes_url(world.case_file)).status_code == 404
    assert post(client, notes_url(world.case_file), {"body": "Indtrængen"}).status_code == 404
    assert post(client, share_url(world.agency_note), {"necessity": NECESSITY}).status_code == 404
    assert Disclosure.objects.count() == before
    assert Note.objects.filter(case_file=world.case_file).count() == 2


# --- Content-blind roles --------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["dpo", "admin"])
def test_content_blind_roles_are_refused_notes_and_persons(world, client, persona):
    """Brief: 404. core.api.SeesContent answers 403 to DPO and admin on every content endpoint
    (api.md: 403 for a role that may not do this at all); either way nothing is shown."""
    client.force_login(getattr(world, persona))
    before = (Disclosure.objects.count(), Note.objects.count())
    requests = [
        client.get(notes_url(world.case_file)),
        client.get(f"/api/v1/persons/{world.person.pk}/"),
        client.get("/api/v1/persons/"),
        post(client, notes_url(world.case_file), {"body": "DPO-notat"}),
        post(client, share_url(world.agency_note), {"necessity": NECESSITY}),
        post(client, f"/api/v1/persons/{world.person.pk}/reveal/", {"reason": NECESSITY}),
    ]
    for response in requests:
        assert response.status_code in (403, 404), (
            response.request["PATH_INFO"],
            response.status_code,
        )
        assert world.person.pseudonym not in response.content.decode()
    assert (Disclosure.objects.count(), Note.objects.count()) == before


def test_no_api_response_to_the_dpo_contains_content(world, client):
    share(client, world.school_member, world.agency_note)
    client.force_login(world.dpo)
    secrets = [
        AGENCY_NOTE_TEXT,
        FORUM_NOTE_TEXT,
        CONCERN_TEXT,
        PERSON_NAME,
        PERSON_CPR,
        OTHER_NAME,
        OTHER_CPR,
    ]
    paths = [
        "/api/v1/me/",
        "/api/v1/agencies/",
        "/api/v1/forums/",
        f"/api/v1/forums/{world.forum.pk}/",
        f"/api/v1/forums/{world.forum.pk}/memberships/",
        "/api/v1/concerns/",
        f"/api/v1/concerns/?forum={world.forum.pk}",
        "/api/v1/persons/",
        f"/api/v1/persons/?forum={world.forum.pk}",
        f"/api/v1/persons/{world.person.pk}/",
        "/api/v1/case-files/",
        f"/api/v1/case-files/{world.case_file.pk}/",
        notes_url(world.case_file),
        f"/api/v1/notes/{world.agency_note.pk}/",
        f"/api/v1/notes/{world.forum_note.pk}/",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code < 500, path
        content = response.content.decode()
        for secret in secrets:
            assert secret not in content, (path, secret)
    for path in (notes_url(world.case_file), f"/api/v1/persons/{world.person.pk}/"):
        assert client.get(path).status_code in (403, 404)
