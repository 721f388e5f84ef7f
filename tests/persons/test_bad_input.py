"""Bad input to the concern, note and share endpoints: 400 with the api.md error shape, the
offending field named, nothing written, and never a 500."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from audit.models import Disclosure
from coordination.models import Note
from core.models import DataKey
from forums.models import Forum, ForumKind, Membership
from persons.models import CaseFile, Concern, FocusPerson, Identity
from tests.world import NECESSITY, PERSON_CPR, World

pytestmark = pytest.mark.django_db

CONCERNS = "/api/v1/concerns/"
NEW_CPR = "0505124321"  # 5 May 2012, 7th digit 4: 2000s; nobody in the world has it
GOOD_NECESSITY = "Det er nødvendigt for at forebygge ny kriminalitet i området."


def counts() -> dict[str, int]:
    """Rows of every table a concern, note or share may write."""
    return {
        "persons": FocusPerson.objects.count(),
        "identities": Identity.objects.count(),
        "case_files": CaseFile.objects.count(),
        "concerns": Concern.objects.count(),
        "data_keys": DataKey.objects.count(),
        "notes": Note.objects.count(),
        "disclosures": Disclosure.objects.count(),
    }


def post(client: Any, url: str, data: Any) -> Any:
    return client.post(url, data, content_type="application/json")


def concern_payload(world: World, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "forum": world.forum.pk,
        "source_agency": world.school.pk,
        "necessity": NECESSITY,
        "categories": ["vold"],
        "identity": {"name": "Mikkel Nyperson", "cpr": NEW_CPR},
        "description": "Bekymring om vold i frikvarteret.",
    }
    payload.update(changes)
    return payload


def with_identity(**identity: Any) -> Callable[[World], dict[str, Any]]:
    return lambda world: concern_payload(world, identity=identity)


def with_cpr(cpr: str) -> Callable[[World], dict[str, Any]]:
    return with_identity(name="Mikkel Nyperson", cpr=cpr)


def without(*fields: str) -> Callable[[World], dict[str, Any]]:
    def build(world: World) -> dict[str, Any]:
        payload = concern_payload(world)
        for field in fields:
            del payload[field]
        return payload

    return build


def assert_error(response: Any, field: str) -> dict[str, Any]:
    assert response.status_code == 400, (response.status_code, response.content)
    body = response.json()
    assert set(body) >= {"detail", "errors"}, body
    assert isinstance(body["detail"], str) and body["detail"], body
    assert field in body["errors"], body
    errors: dict[str, Any] = body["errors"]
    return errors


# (id, payload builder, field expected in errors)
BAD_CONCERNS: list[tuple[str, Callable[[World], Any], str]] = [
    ("cpr-too-short", with_cpr("12345"), "cpr"),
    ("cpr-letters", with_cpr("abcdefghij"), "cpr"),
    ("cpr-31-february", with_cpr("3102124567"), "cpr"),
    ("cpr-month-13", with_cpr("0113124567"), "cpr"),
    ("cpr-eleven-digits", with_cpr("01031245678"), "cpr"),
    # a number is not text (core.api.StrictSerializerMixin): the nested field's own error
    ("cpr-as-number", with_identity(name="Mikkel Nyperson", cpr=103124567), "identity"),
    ("too-old-for-ssp", with_cpr("0101901234"), "forum"),
    ("too-old-by-birth-date", with_identity(name="Mikkel", birth_date="1990-01-01"), "forum"),
    (
        "birth-date-in-future",
        with_identity(
            name="Mikkel",
            birth_date=(timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
        ),
        "birth_date",
    ),
    (
        "birth-date-contradicts-cpr",
        with_identity(name="Mikkel", cpr=NEW_CPR, birth_date="2012-05-06"),
        "birth_date",
    ),
    ("birth-date-malformed", with_identity(name="Mikkel", birth_date="2012-13-01"), "identity"),
    (
        "description-too-long",
        lambda w: concern_payload(w, description="x" * 10_001),
        "description",
    ),
    ("description-blank", lambda w: concern_payload(w, description="   "), "description"),
    ("description-nul", lambda w: concern_payload(w, description="a\x00b"), "description"),
    ("name-too-long", with_identity(name="n" * 201, cpr=NEW_CPR), "identity"),
    ("name-blank", with_identity(name="  ", cpr=NEW_CPR), "identity"),
    ("unknown-top-level-field", lambda w: concern_payload(w, foo=1), "foo"),
    (
        "unknown-identity-field",
        with_identity(name="Mikkel", cpr=NEW_CPR, shoe_size=38),
        "identity",
    ),
    ("categories-string", lambda w: concern_payload(w, categories="vold"), "categories"),
    ("categories-empty", lambda w: concern_payload(w, categories=[]), "categories"),
    ("categories-unknown-code", lambda w: concern_payload(w, categories=["nope"]), "categories"),
    (
        "categories-too-many",
        lambda w: concern_payload(w, categories=["vold"] * 21),
        "categories",
    ),
    ("categories-nested-list", lambda w: concern_payload(w, categories=[["vold"]]), "categories"),
    ("forum-string", lambda w: concern_payload(w, forum="abc"), "forum"),
    ("forum-null", lambda w: concern_payload(w, forum=None), "forum"),
    ("identity-list", lambda w: concern_payload(w, identity=["Mikkel", NEW_CPR]), "identity"),
    ("identity-string", lambda w: concern_payload(w, identity="Mikkel"), "identity"),
    ("no-cpr-no-birth-date", with_identity(name="Mikkel Nyperson"), "cpr"),
    ("blank-cpr-no-birth-date", with_identity(name="Mikkel Nyperson", cpr=""), "cpr"),
    ("source-agency-unknown", lambda w: concern_payload(w, source_agency=999_999), "source_agency"),
    ("source-agency-huge", lambda w: concern_payload(w, source_agency=2**70), "source_agency"),
    ("ksp-letter-unknown", lambda w: concern_payload(w, ksp_letter="d"), "ksp_letter"),
    ("ksp-letter-outside-ksp", lambda w: concern_payload(w, ksp_letter="a"), "ksp_letter"),
    ("missing-description", without("description"), "description"),
    ("missing-identity", without("identity"), "identity"),
    ("empty-body", lambda w: {}, "forum"),
    ("body-is-a-list", lambda w: [concern_payload(w)], "non_field_errors"),
]


@pytest.mark.parametrize(("build", "field"), [pytest.param(b, f, id=i) for i, b, f in BAD_CONCERNS])
def test_bad_concern_is_refused_and_writes_nothing(world, client, build, field):
    client.force_login(world.school_member)
    before = counts()
    response = post(client, CONCERNS, build(world))
    assert_error(response, field)
    assert counts() == before


def test_empty_concern_names_every_required_field(world, client):
    client.force_login(world.school_member)
    errors = assert_error(post(client, CONCERNS, {}), "forum")
    assert set(errors) >= {"forum", "identity", "categories", "description", "necessity"}


def test_nested_errors_name_the_inner_field(world, client):
    client.force_login(world.school_member)
    errors = assert_error(post(client, CONCERNS, with_identity(name="n" * 201)(world)), "identity")
    assert "name" in errors["identity"], errors
    unknown = with_identity(name="Mikkel", cpr=NEW_CPR, shoe_size=38)(world)
    errors = assert_error(post(client, CONCERNS, unknown), "identity")
    assert "shoe_size" in errors["identity"], errors


def test_too_young_for_a_forum_with_age_min(world, client):
    ssp_plus = Forum.objects.create(
        name="SSP+ Test",
        kind=ForumKind.SSP_PLUS,
        age_min=18,
        age_max=25,
        municipality=world.forum.municipality,
    )
    Membership.objects.create(forum=ssp_plus, user=world.school_member)
    client.force_login(world.school_member)
    before = counts()
    response = post(client, CONCERNS, concern_payload(world, forum=ssp_plus.pk))
    errors = assert_error(response, "forum")
    assert any("18" in message for message in errors["forum"]), errors
    assert counts() == before


def test_valid_concern_is_accepted(world, client):
    """The baseline the bad cases deviate from is itself accepted."""
    client.force_login(world.school_member)
    before = counts()
    response = post(client, CONCERNS, concern_payload(world))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["person"]["id"] != world.person.pk
    after = counts()
    assert after["persons"] == before["persons"] + 1
    assert after["concerns"] == before["concerns"] + 1
    assert after["disclosures"] == before["disclosures"] + 1  # a concern is a disclosure


@pytest.mark.parametrize("cpr", [PERSON_CPR, "010312-4567", " 010312 4567 "])
def test_duplicate_cpr_finds_the_existing_person(world, client, cpr):
    client.force_login(world.school_member)
    before = counts()
    payload = concern_payload(world, identity={"name": "Et andet navn", "cpr": cpr})
    response = post(client, CONCERNS, payload)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["person"]["id"] == world.person.pk
    assert body["person"]["pseudonym"] == world.person.pseudonym
    after = counts()
    assert after["persons"] == before["persons"]
    assert after["identities"] == before["identities"]
    assert after["case_files"] == before["case_files"]  # the open case file is reused
    assert after["concerns"] == before["concerns"] + 1
    assert Identity.objects.get(person=world.person).name == "Rasmus Testbarn"


def test_concern_to_a_forum_the_user_is_not_in_is_404_and_writes_nothing(world, client):
    client.force_login(world.school_member)
    before = counts()
    for forum in (world.other_forum.pk, 999_999, 2**70):
        response = post(client, CONCERNS, concern_payload(world, forum=forum))
        assert response.status_code == 404, (forum, response.content)
        assert "detail" in response.json()
    assert counts() == before


def test_malformed_json_is_400_not_500(world, client):
    client.force_login(world.school_member)
    before = counts()
    response = client.post(CONCERNS, '{"forum": 1,', content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()
    assert counts() == before


# --- Notes -------------------------------------------------------------------------------------


def notes_url(world: World) -> str:
    return f"/api/v1/case-files/{world.case_file.pk}/notes/"


BAD_NOTES: list[tuple[str, dict[str, Any], str]] = [
    ("body-too-long", {"body": "x" * 20_001}, "body"),
    ("body-blank", {"body": "   "}, "body"),
    ("body-missing", {"visibility": "agency"}, "body"),
    ("body-nul", {"body": "a\x00b"}, "body"),
    ("visibility-unknown", {"body": "Notat", "visibility": "public"}, "visibility"),
    ("forum-without-necessity", {"body": "Notat", "visibility": "forum"}, "necessity"),
    (
        "forum-with-short-necessity",
        {"body": "Notat", "visibility": "forum", "necessity": "fordi"},
        "necessity",
    ),
    (
        "forum-with-contradicting-paragraph",
        {
            "body": "Notat",
            "visibility": "forum",
            "necessity": GOOD_NECESSITY,
            "legal_basis": {"paragraph": "stk1"},
        },
        "legal_basis",
    ),
    (
        "forum-with-contradicting-cooperation",
        {
            "body": "Notat",
            "visibility": "forum",
            "necessity": GOOD_NECESSITY,
            "legal_basis": {"cooperation": "nr2"},
        },
        "legal_basis",
    ),
    (
        "legal-basis-unknown-field",
        {"body": "Notat", "legal_basis": {"paragraf": "stk2"}},
        "legal_basis",
    ),
    ("unknown-field", {"body": "Notat", "secret": True}, "secret"),
    ("body-is-a-number-list", {"body": [1, 2]}, "body"),
]


@pytest.mark.parametrize(("payload", "field"), [pytest.param(p, f, id=i) for i, p, f in BAD_NOTES])
def test_bad_note_is_refused_and_writes_nothing(world, client, payload, field):
    client.force_login(world.school_member)
    before = counts()
    response = post(client, notes_url(world), payload)
    assert_error(response, field)
    assert counts() == before


def test_forum_note_with_necessity_is_accepted(world, client):
    client.force_login(world.school_member)
    before = counts()
    response = post(
        client,
        notes_url(world),
        {"body": "Delt notat", "visibility": "forum", "necessity": GOOD_NECESSITY},
    )
    assert response.status_code == 201, response.content
    after = counts()
    assert after["notes"] == before["notes"] + 1
    assert after["disclosures"] == before["disclosures"] + 1


# --- Sharing -----------------------------------------------------------------------------------


def share_url(note: Note) -> str:
    return f"/api/v1/notes/{note.pk}/share/"


BAD_SHARES: list[tuple[str, dict[str, Any], str]] = [
    ("necessity-short", {"necessity": "x" * 19}, "necessity"),
    ("necessity-blank", {"necessity": "                        "}, "necessity"),
    ("necessity-missing", {}, "necessity"),
    ("necessity-too-long", {"necessity": "x" * 1001}, "necessity"),
    (
        "paragraph-contradicts-agency",
        {"necessity": GOOD_NECESSITY, "legal_basis": {"paragraph": "stk1"}},
        "legal_basis",
    ),
    (
        "self-governing-paragraph-for-school",
        {"necessity": GOOD_NECESSITY, "legal_basis": {"paragraph": "stk3"}},
        "legal_basis",
    ),
    (
        "cooperation-contradicts-forum",
        {"necessity": GOOD_NECESSITY, "legal_basis": {"cooperation": "nr2"}},
        "legal_basis",
    ),
    (
        "paragraph-unknown",
        {"necessity": GOOD_NECESSITY, "legal_basis": {"paragraph": "stk9"}},
        "legal_basis",
    ),
    ("legal-basis-string", {"necessity": GOOD_NECESSITY, "legal_basis": "stk2"}, "legal_basis"),
    ("unknown-field", {"necessity": GOOD_NECESSITY, "to": "everyone"}, "to"),
]


@pytest.mark.parametrize(("payload", "field"), [pytest.param(p, f, id=i) for i, p, f in BAD_SHARES])
def test_bad_share_is_refused_and_changes_nothing(world, client, payload, field):
    client.force_login(world.school_member)
    before = counts()
    response = post(client, share_url(world.agency_note), payload)
    assert_error(response, field)
    assert counts() == before
    note = Note.objects.get(pk=world.agency_note.pk)
    assert note.visibility == Note.Visibility.AGENCY
    assert note.shared_at is None
    assert note.necessity is None
    assert note.legal_paragraph == ""


def test_matching_legal_basis_is_accepted(world, client):
    client.force_login(world.school_member)
    response = post(
        client,
        share_url(world.agency_note),
        {"necessity": NECESSITY, "legal_basis": {"paragraph": "stk2", "cooperation": "nr1"}},
    )
    assert response.status_code == 200, response.content
    assert response.json()["legal_basis"] == {"paragraph": "stk2", "cooperation": "nr1"}


def test_sharing_twice_is_refused(world, client):
    client.force_login(world.school_member)
    assert post(client, share_url(world.agency_note), {"necessity": NECESSITY}).status_code == 200
    before = counts()
    response = post(client, share_url(world.agency_note), {"necessity": NECESSITY})
    assert response.status_code in (400, 403), response.content
    assert "detail" in response.json()
    assert counts() == before


# --- The web form ------------------------------------------------------------------------------


def concern_form_data(world: World, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "forum": world.forum.pk,
        "name": "Mikkel Nyperson",
        "cpr": NEW_CPR,
        "birth_date": "",
        "address": "",
        "categories": ["vold"],
        "description": "Bekymring om vold i frikvarteret.",
        "source_agency": world.school.pk,
        "necessity": NECESSITY,
        "ksp_letter": "",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("cpr", "message"),
    [
        ("12345", "CPR-nummeret skal være 10 cifre"),
        ("abcdefghij", "CPR-nummeret skal være 10 cifre"),
        ("3102124567", "CPR-nummeret indeholder ikke en gyldig dato"),
    ],
)
def test_concern_form_shows_cpr_error_in_danish(world, client, cpr, message):
    client.force_login(world.school_member)
    before = counts()
    response = client.post("/bekymringer/ny/", concern_form_data(world, cpr=cpr))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert counts() == before


def test_concern_form_refuses_person_outside_age_band(world, client):
    client.force_login(world.school_member)
    before = counts()
    response = client.post("/bekymringer/ny/", concern_form_data(world, cpr="0101901234"))
    assert response.status_code == 400
    assert "uden for aldersgruppen" in response.content.decode()
    assert counts() == before


def test_concern_form_accepts_valid_input(world, client):
    client.force_login(world.school_member)
    before = counts()
    response = client.post("/bekymringer/ny/", concern_form_data(world))
    assert response.status_code == 302
    assert counts()["persons"] == before["persons"] + 1


# --- Never a 500 -------------------------------------------------------------------------------

GARBAGE: list[Any] = [
    None,
    0,
    "",
    "x",
    [],
    [None],
    {"": ""},
    {"forum": {"id": 1}},
    {"forum": -1, "identity": {"name": None}},
    {"forum": 1.5, "identity": {"name": "x", "cpr": None, "birth_date": 20120101}},
    {"identity": {"name": "x", "cpr": "٠١٠٣١٢٤٥٦٧"}},  # Arabic-Indic digits
    {"categories": {"vold": True}},
    {"description": {"a": 1}},
    {"body": None, "visibility": None, "necessity": None, "legal_basis": None},
    {"necessity": ["x" * 30], "legal_basis": [1]},
    {"legal_basis": {"paragraph": None, "cooperation": 7}},
    {"mode": "named", "reason": None},
    {"reason": {"x": 1}},
]


@pytest.mark.parametrize("payload", GARBAGE, ids=[str(i) for i in range(len(GARBAGE))])
def test_garbage_is_never_a_500(world, client, payload):
    client.force_login(world.school_member)
    before = counts()
    urls = [
        CONCERNS,
        notes_url(world),
        share_url(world.agency_note),
        f"/api/v1/persons/{world.person.pk}/reveal/",
    ]
    for url in urls:
        response = post(client, url, payload)
        assert 400 <= response.status_code < 500, (url, response.status_code, response.content)
        assert "detail" in response.json()
    assert counts() == before


@pytest.mark.parametrize(
    "query",
    [
        "forum=abc",
        "forum=-1",
        "forum=99999999999999999999999",
        "page=abc",
        "page_size=-5",
        "status=nonsense",
        "q=%00",
        "status=%00",
    ],
)
def test_bad_query_parameters_are_never_a_500(world, client, query):
    client.raise_request_exception = False  # collect every 500 instead of stopping at the first
    client.force_login(world.school_member)
    failures = []
    for path in ("/api/v1/persons/", "/api/v1/concerns/", "/api/v1/case-files/", "/personer/"):
        response = client.get(f"{path}?{query}")
        if response.status_code >= 500:
            failures.append((path, response.status_code))
    assert failures == []
