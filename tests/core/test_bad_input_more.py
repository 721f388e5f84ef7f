"""More bad input (issue 8): digits of other scripts in a CPR, malformed numbers in query and form
parameters, a date at the end of the calendar, a duplicate forum name, NUL characters, and JSON
too deep or too large. Each is a 400 with a Danish message that writes nothing (one, noted, is
the guest page's message and redirect). Property-based tests feed arbitrary text to the CPR
parser, the concern form and the note API: never a 500."""

from __future__ import annotations

import bz2
import datetime
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.models import AccessEvent, Disclosure
from coordination.meetings import guest_invite
from coordination.models import AgendaGuest, AgendaItem, ForumSession, Note, Plan, PlanAction
from coordination.plans import action_create, plan_save
from core.crypto import normalise_cpr
from core.models import Notification
from core.params import MAX_ID, int_param
from core.parsers import MAX_DEPTH, check_structure
from forums.models import Forum
from forums.services import forum_update
from persons.cpr import parse_cpr
from persons.models import CaseFile, Concern, FocusPerson, Identity
from tests.factories import UserFactory
from tests.persons.test_bad_input import concern_form_data, concern_payload
from tests.world import NECESSITY, PERSON_CPR, World

pytestmark = pytest.mark.django_db

CPR_FORMAT = "CPR-nummeret skal være 10 cifre (ddmmåå-xxxx)."
NOT_DIGITS = "Skal være et helt tal skrevet med cifrene 0-9."
OUT_OF_RANGE = "Skal være et helt tal fra"
NUL_IN_FORM = "Ugyldigt tegn i forespørgslen."
NUL_IN_JSON = "Null-tegn er ikke tilladt."
TOO_DEEP = "Forespørgslen er indlejret for dybt"
TOO_LARGE = "Forespørgslen er for stor"
NOT_JSON = "Forespørgslen er ikke gyldig JSON"
NAME_TAKEN = "Der findes allerede et forum med det navn i kommunen."


def in_script(zero: int, digits: str = PERSON_CPR) -> str:
    """``digits`` written in the script whose digit zero is at code point ``zero``."""
    return "".join(chr(zero + int(digit)) for digit in digits)


# PERSON_CPR ("0103124567") in the digits of other scripts: each passes str.isdigit().
FOREIGN_DIGITS = {
    "arabic-indic": in_script(0x0660),
    "extended-arabic-indic": in_script(0x06F0),
    "devanagari": in_script(0x0966),
    "fullwidth": in_script(0xFF10),
    "mathematical-bold": in_script(0x1D7CE),
    "one-superscript": "01031\u00b24567",
    "one-kharosthi": "010312\U00010a40567",
}
BAD_NUMBERS = [
    "\u00b2",
    "\u0663",
    "\uff11",
    "abc",
    "1.0",
    "-1",
    "+1",
    "1e3",
    "0x1",
    "1 2",
    "99999999999",
]


def rows() -> dict[str, int]:
    """Every table a refused request here might have written to."""
    models: list[Any] = [
        FocusPerson,
        Identity,
        CaseFile,
        Concern,
        Note,
        Disclosure,
        AccessEvent,
        Forum,
        ForumSession,
        AgendaItem,
        AgendaGuest,
        Plan,
        PlanAction,
        Notification,
    ]
    return {model.__name__: model.objects.count() for model in models}


def post_json(client: Any, url: str, data: Any) -> Any:
    body = data if isinstance(data, str | bytes) else json.dumps(data)
    return client.post(url, body, content_type="application/json")


def assert_api_400(response: Any, message: str, field: str | None = None) -> None:
    assert response.status_code == 400, (response.status_code, response.content)
    body = response.json()
    assert set(body) >= {"detail", "errors"}, body
    messages = json.dumps(body, ensure_ascii=False)
    assert message in messages, body
    if field is not None:
        assert field in body["errors"], body


def assert_page_400(response: Any, message: str) -> None:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert message in response.content.decode(), response.content[:300]


# --- CPR: ASCII digits only ------------------------------------------------------------------


@pytest.mark.parametrize("cpr", FOREIGN_DIGITS.values(), ids=FOREIGN_DIGITS.keys())
def test_parse_cpr_refuses_other_scripts_digits(cpr):
    with pytest.raises(ValidationError) as refused:
        parse_cpr(cpr)
    assert refused.value.messages == [CPR_FORMAT]
    with pytest.raises(ValueError, match="not a CPR number"):
        normalise_cpr(cpr)


@pytest.mark.parametrize(
    "cpr",
    [
        "010312--4567",
        "01031-24567",
        "0103-124567",
        "010312_4567",
        "010312\u00a04567",
        "0103124567x",
    ],
)
def test_parse_cpr_refuses_other_separators(cpr):
    with pytest.raises(ValidationError) as refused:
        parse_cpr(cpr)
    assert refused.value.messages == [CPR_FORMAT]


@pytest.mark.parametrize("cpr", ["0103124567", "010312-4567", "010312 4567", " 0103124567\n"])
def test_parse_cpr_accepts_the_written_forms(cpr):
    assert parse_cpr(cpr) == ("0103124567", datetime.date(2012, 3, 1))
    assert normalise_cpr(cpr) == "0103124567"


@pytest.mark.parametrize("cpr", FOREIGN_DIGITS.values(), ids=FOREIGN_DIGITS.keys())
def test_concern_api_refuses_other_scripts_digits(world, client, cpr):
    """Before, Arabic-Indic digits passed and made a second person with another blind index."""
    client.force_login(world.school_member)
    before = rows()
    payload = concern_payload(world, identity={"name": "Rasmus Testbarn", "cpr": cpr})
    assert_api_400(post_json(client, "/api/v1/concerns/", payload), CPR_FORMAT, "cpr")
    assert rows() == before


@pytest.mark.parametrize("cpr", FOREIGN_DIGITS.values(), ids=FOREIGN_DIGITS.keys())
def test_concern_form_refuses_other_scripts_digits(world, client, cpr):
    client.force_login(world.school_member)
    before = rows()
    response = client.post("/bekymringer/ny/", concern_form_data(world, cpr=cpr))
    assert_page_400(response, CPR_FORMAT)
    assert rows() == before


def test_the_ascii_cpr_still_finds_the_person(world, client):
    client.force_login(world.school_member)
    before = rows()
    payload = concern_payload(world, identity={"name": "Et andet navn", "cpr": PERSON_CPR})
    response = post_json(client, "/api/v1/concerns/", payload)
    assert response.status_code == 201, response.content
    assert response.json()["person"]["id"] == world.person.pk
    assert FocusPerson.objects.count() == before["FocusPerson"]


# --- Numbers in query and form parameters: core.params.int_param -------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("", None), ("  ", None), ("7", 7), (" 7 ", 7), ("007", 7), (MAX_ID, MAX_ID)],
)
def test_int_param_reads_ascii_digits(value, expected):
    assert int_param(value, "forum") == expected


@pytest.mark.parametrize(
    "value", [*BAD_NUMBERS, "0", str(MAX_ID + 1), "1" * 5000, "0" * 5000 + "1" * 20]
)
def test_int_param_refuses_everything_else_naming_the_field(value):
    with pytest.raises(ValidationError) as refused:
        int_param(value, "forum")
    assert set(refused.value.message_dict) == {"forum"}
    message = refused.value.message_dict["forum"][0]
    assert message.startswith((NOT_DIGITS, OUT_OF_RANGE)), message


@pytest.mark.parametrize("path", ["/api/v1/persons/", "/api/v1/concerns/"])
def test_api_list_forum_filter_is_400(world, client, path):
    client.force_login(world.school_member)
    before = rows()
    for value in BAD_NUMBERS:
        response = client.get(path, {"forum": value})
        assert response.status_code == 400, (value, response.content)
        message = response.json()["errors"]["forum"][0]
        assert message.startswith((NOT_DIGITS, OUT_OF_RANGE)), (value, message)
    assert rows() == before  # no list was shown, so no access was recorded


def test_api_list_forum_filter_still_filters(world, client):
    client.force_login(world.school_member)
    response = client.get("/api/v1/concerns/", {"forum": str(world.forum.pk)})
    assert response.status_code == 200, response.content
    assert {row["forum"] for row in response.json()["results"]} == {world.forum.pk}


@pytest.mark.parametrize("value", ["²", "abc", "-1", "99999999999"])
def test_person_page_forum_filter_is_400(world, client, value):
    client.force_login(world.school_member)
    before = rows()
    response = client.get("/personer/", {"forum": value})
    assert response.status_code == 400, response.content[:300]
    assert "Skal være et helt tal" in response.content.decode()
    assert rows() == before


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/audit/access-events/", "user"),
        ("/api/v1/audit/access-events/", "agency"),
        ("/api/v1/audit/searches/", "user"),
        ("/api/v1/audit/disclosures/", "forum"),
    ],
)
def test_audit_api_number_filters_are_400(world, client, path, field):
    client.force_login(world.dpo)
    before = rows()
    for value in ("\u00b2", "x", "99999999999"):
        response = client.get(path, {field: value})
        assert response.status_code == 400, (value, response.content)
        assert field in response.json()["errors"], response.json()
    assert rows() == before


@pytest.mark.parametrize(
    "path",
    ["/api/v1/audit/access-events/", "/api/v1/audit/disclosures/", "/api/v1/audit/searches/"],
)
def test_audit_api_cursor_and_page_size_are_strict(world, client, path):
    """Found by the DPO's fuzzing pass: a forged cursor was a 404 (as if the list were gone)
    and ``page_size=null`` twice was silently the default."""
    client.force_login(world.dpo)
    for params in ({"cursor": ".exe"}, {"cursor": "\U0001f4a9"}):
        response = client.get(path, params)
        assert response.status_code == 400, (params, response.content)
        assert "cursor" in response.json()["errors"]
    for query in ("page_size=null&page_size=null", "page_size=0", "page_size=201", "page_size="):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, (query, response.content)
        assert "page_size" in response.json()["errors"]
    first = client.get(path, {"page_size": "1"})
    assert first.status_code == 200
    if first.json()["next"]:
        assert client.get(first.json()["next"]).status_code == 200


@pytest.mark.parametrize("person", ["²", "٣", "99999999999999999999999"])
def test_audit_person_filter_of_odd_digits_finds_nothing(world, client, person):
    """``person`` is an id or a pseudonym: odd digits are a pseudonym nobody has, not a 500."""
    client.force_login(world.dpo)
    for path in ("/api/v1/audit/access-events/", "/api/v1/audit/disclosures/"):
        response = client.get(path, {"person": person})
        assert response.status_code == 200, (path, response.content)
        assert response.json()["results"] == []


@pytest.mark.parametrize("page", ["²", "abc", "0", "99999999999999999999999"])
def test_audit_page_number_is_400(world, client, page):
    client.force_login(world.dpo)
    response = client.get(reverse("audit:access-list"), {"side": page})
    assert response.status_code == 400, response.content[:300]
    assert "Skal være et helt tal" in response.content.decode()
    assert client.get(reverse("audit:access-list"), {"side": "2"}).status_code == 200


# --- Plan action versions ------------------------------------------------------------------


@pytest.fixture
def action(world: World) -> PlanAction:
    plan = plan_save(actor=world.coordinator, case_file=world.case_file, goals="Mål for planen")
    return action_create(
        actor=world.coordinator,
        plan=plan,
        description="Skolen taler med forældrene.",
        responsible_agency=world.school,
        owner=world.school_member,
        due_date=timezone.localdate() + datetime.timedelta(days=7),
    )


def action_state(action: PlanAction) -> tuple[Any, ...]:
    stored = PlanAction.objects.get(pk=action.pk)
    return (stored.version, stored.status, stored.completed_at)


@pytest.mark.parametrize("version", ["²", "abc", 2**70, 2**31, 0, -1, 1.5, "1\x00", None])
def test_api_action_version_out_of_range_is_400(world, client, action, version):
    client.force_login(world.coordinator)
    before, state = rows(), action_state(action)
    response = client.patch(
        f"/api/v1/actions/{action.pk}/",
        json.dumps({"version": version, "status": "done"}),
        content_type="application/json",
    )
    assert response.status_code == 400, (version, response.content)
    assert "version" in response.json()["errors"], response.json()
    assert (rows(), action_state(action)) == (before, state)


@pytest.mark.parametrize("version", ["²", "٣", "abc", "0", "-1", "99999999999999999999999"])
def test_action_status_page_version_is_400(world, client, action, version):
    client.force_login(world.coordinator)
    before, state = rows(), action_state(action)
    response = client.post(
        reverse("coordination:action-status", args=[action.pk]),
        {"version": version, "status": "done"},
    )
    assert_page_400(response, "Skal være et helt tal")
    assert (rows(), action_state(action)) == (before, state)


def test_action_status_page_with_the_right_version_still_works(world, client, action):
    client.force_login(world.coordinator)
    response = client.post(
        reverse("coordination:action-status", args=[action.pk]), {"version": 1, "status": "done"}
    )
    assert response.status_code == 302
    assert action_state(action)[:2] == (2, "done")


# --- The session page's agenda editing -------------------------------------------------------


@pytest.fixture
def session(world: World) -> ForumSession:
    session = ForumSession.objects.create(
        forum=world.forum,
        starts_at=timezone.now() + datetime.timedelta(days=1),
        created_by=world.coordinator,
    )
    AgendaItem(session=session, case_file=world.case_file, kind="new", order=1).save()
    return session


def agenda(session: ForumSession) -> list[tuple[int, int, int]]:
    return list(session.items.order_by("pk").values_list("pk", "case_file_id", "order"))


@pytest.mark.parametrize(
    "data",
    [
        {"operation": "remove", "item": "abc"},
        {"operation": "up", "item": "²"},
        {"operation": "down", "item": "٣"},
        {"operation": "remove", "item": "99999999999999999999999"},
        {"operation": "remove", "item": "-1"},
        {"operation": "add", "case_file": "abc"},
        {"operation": "add", "case_file": "1.0"},
    ],
    ids=["remove-abc", "up-²", "down-٣", "remove-huge", "remove-negative", "add-abc", "add-1.0"],
)
def test_agenda_edit_with_a_malformed_id_is_400(world, client, session, data):
    client.force_login(world.coordinator)
    before, items = rows(), agenda(session)
    response = client.post(reverse("coordination:session-agenda", args=[session.pk]), data)
    assert_page_400(response, "Skal være et helt tal")
    assert (rows(), agenda(session)) == (before, items)


def test_agenda_edit_without_an_item_is_404_not_500(world, client, session):
    client.force_login(world.coordinator)
    items = agenda(session)
    response = client.post(
        reverse("coordination:session-agenda", args=[session.pk]), {"operation": "remove"}
    )
    assert response.status_code == 404
    assert agenda(session) == items


# --- A guest invited to a session at the end of the calendar ---------------------------------


@pytest.fixture
def far_item(world: World) -> AgendaItem:
    session = ForumSession.objects.create(
        forum=world.forum,
        starts_at=datetime.datetime(9999, 12, 31, 12, tzinfo=datetime.UTC),
        created_by=world.coordinator,
    )
    item = AgendaItem(session=session, case_file=world.case_file, kind="new", order=1)
    item.save()
    return item


@pytest.fixture
def teacher(world: World) -> Any:
    return UserFactory.create(full_name="Klara Klasselærer", agency=world.school, roles=["member"])


def test_guest_invite_to_a_session_in_year_9999_is_refused(world, far_item, teacher):
    before = rows()
    with pytest.raises(ValidationError) as refused:
        guest_invite(actor=world.chair, item=far_item, email=teacher.email, necessity=NECESSITY)
    assert refused.value.message_dict == {
        "session": ["Mødets dato ligger for langt ude i fremtiden til at invitere gæster."]
    }
    assert rows() == before


def test_guest_page_for_a_session_in_year_9999_says_so_and_writes_nothing(
    world, client, far_item, teacher
):
    """The guest page answers every refusal with a message on the session page (a redirect)."""
    client.force_login(world.chair)
    before = rows()
    response = client.post(
        reverse("coordination:item-guest-invite", args=[far_item.pk]),
        {"email": teacher.email, "necessity": NECESSITY},
        follow=True,
    )
    assert response.status_code == 200
    assert "for langt ude i fremtiden" in response.content.decode()
    after = rows()
    assert after.pop("AccessEvent") >= before.pop("AccessEvent")  # the session page was shown
    assert after == before


# --- Renaming a forum to a name the municipality already has --------------------------------


def test_renaming_a_forum_to_an_existing_name_is_400(world, client):
    client.force_login(world.coordinator)
    before = rows()
    response = client.patch(
        f"/api/v1/forums/{world.forum.pk}/",
        json.dumps({"name": world.other_forum.name}),
        content_type="application/json",
    )
    assert_api_400(response, NAME_TAKEN, "name")
    assert Forum.objects.get(pk=world.forum.pk).name == "SSP Test"
    assert rows() == before


def test_a_name_taken_meanwhile_is_400_too_and_the_transaction_lives_on(world):
    """The unique index itself refuses (as when another request took the name a moment ago):
    the service turns it into the same error, inside a savepoint."""
    forum = Forum.objects.get(pk=world.forum.pk)
    forum.name = world.other_forum.name  # in memory only: the service's own check is bypassed
    with pytest.raises(ValidationError) as refused:
        forum_update(actor=world.coordinator, forum=forum, age_max=16)
    assert refused.value.message_dict == {"name": [NAME_TAKEN]}
    stored = Forum.objects.get(pk=world.forum.pk)  # the transaction is still usable
    assert (stored.name, stored.age_max) == ("SSP Test", 17)


# --- NUL characters ------------------------------------------------------------------------


def test_nul_in_a_form_field_is_400(world, client):
    client.force_login(world.school_member)
    before = rows()
    data = concern_form_data(world, description="Bekymring\x00om vold")
    assert_page_400(client.post("/bekymringer/ny/", data), NUL_IN_FORM)
    assert rows() == before


def test_nul_in_a_field_a_view_reads_itself_is_400(world, client, session, teacher):
    """The guest e-mail goes straight from request.POST into a query: PostgreSQL refused it."""
    item = session.items.get()
    client.force_login(world.chair)
    before = rows()
    response = client.post(
        reverse("coordination:item-guest-invite", args=[item.pk]),
        {"email": teacher.email + "\x00", "necessity": NECESSITY},
    )
    assert_page_400(response, NUL_IN_FORM)
    assert rows() == before


def test_nul_in_a_multipart_upload_field_is_400(world, client):
    client.force_login(world.police_member)
    before = rows()
    response = client.post(
        reverse("coordination:handover", args=[world.forum.pk]), {"necessity": "a\x00b"}
    )
    assert_page_400(response, NUL_IN_FORM)
    assert rows() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"description": "a\x00b"}, "description"),
        ({"identity": {"name": "Mikkel\x00", "cpr": "0505124321"}}, "identity"),
        ({"categories": ["vold", "\x00"]}, "categories"),
        ({"new\x00field": 1}, "non_field_errors"),
    ],
    ids=["top-level", "nested", "in-a-list", "in-a-key"],
)
def test_nul_anywhere_in_json_is_400(world, client, change, field):
    client.force_login(world.school_member)
    before = rows()
    payload = concern_payload(world, **change)
    assert_api_400(post_json(client, "/api/v1/concerns/", payload), NUL_IN_JSON, field)
    assert rows() == before


# --- JSON bounded in depth and size ----------------------------------------------------------


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1000, 10_000, 100_000])
def test_deeply_nested_json_is_400(world, client, depth):
    client.force_login(world.school_member)
    before = rows()
    for url in ("/api/v1/concerns/", f"/api/v1/case-files/{world.case_file.pk}/notes/"):
        assert_api_400(post_json(client, url, nested(depth)), TOO_DEEP, "non_field_errors")
    deep_field = '{"body": ' + nested(depth - 1) + "}"
    response = post_json(client, f"/api/v1/case-files/{world.case_file.pk}/notes/", deep_field)
    assert_api_400(response, TOO_DEEP)
    assert rows() == before


def test_nesting_up_to_the_limit_is_parsed():
    check_structure(json.loads(nested(MAX_DEPTH)))
    check_structure({"a": json.loads(nested(MAX_DEPTH - 1))})
    with pytest.raises(Exception, match="dybt"):
        check_structure({"a": json.loads(nested(MAX_DEPTH))})


def test_a_body_over_the_limit_is_400(world, client):
    """Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) bounds JSON bodies too, in api.md's shape."""
    client.force_login(world.school_member)
    before = rows()
    payload = concern_payload(world, description="x" * 3_000_000)
    assert_api_400(post_json(client, "/api/v1/concerns/", payload), TOO_LARGE, "non_field_errors")
    assert rows() == before


def test_the_body_limit_follows_the_setting(world, client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000
    client.force_login(world.school_member)
    before = rows()
    url = f"/api/v1/case-files/{world.case_file.pk}/notes/"
    assert_api_400(post_json(client, url, {"body": "x" * 2_000}), TOO_LARGE)
    assert rows() == before
    assert post_json(client, url, {"body": "x" * 1_000}).status_code == 201


@pytest.mark.parametrize(
    "body",
    ['{"body": NaN}', '{"body": Infinity}', '{"body": "a"', "\ufeff{}", '{"body": "\x01"}'],
    ids=["nan", "infinity", "truncated", "bom", "control-character"],
)
def test_malformed_json_is_400_in_danish(world, client, body):
    client.force_login(world.school_member)
    before = rows()
    response = post_json(client, f"/api/v1/case-files/{world.case_file.pk}/notes/", body)
    assert_api_400(response, NOT_JSON, "non_field_errors")
    assert rows() == before


def test_a_body_in_a_compressing_charset_is_400(world, client):
    client.force_login(world.school_member)
    before = rows()
    response = client.generic(
        "POST",
        f"/api/v1/case-files/{world.case_file.pk}/notes/",
        bz2.compress(b'{"body": "x"}'),
        content_type="application/json; charset=bz2_codec",
    )
    assert_api_400(response, "tegnsættet", "non_field_errors")
    assert rows() == before


@pytest.mark.parametrize(
    "content_type", ["multipart/form-data; boundary=BoUnDaRy", "application/x-www-form-urlencoded"]
)
def test_the_api_takes_json_only(world, client, content_type):
    """A form is not read (api.md: JSON in). The NUL check has read a form body already, so
    DRF sees no data (400) rather than an unsupported type (415); either way nothing is written."""
    client.force_login(world.school_member)
    before = rows()
    url = f"/api/v1/case-files/{world.case_file.pk}/notes/"
    if content_type.startswith("multipart"):
        response = client.post(url, {"body": "Et notat"})
    else:
        response = client.post(url, "body=Et+notat", content_type=content_type)
    assert response.status_code in (400, 415), response.content
    assert "detail" in response.json()
    assert rows() == before


# --- Property-based: arbitrary text is a result or a 400, never a 500 ------------------------

PROPERTIES = settings(
    max_examples=50,
    deadline=None,
    database=None,  # no example database written into the work tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# UTF-8-encodable text (no lone surrogates: no client can send them), NUL and controls included.
TEXT = st.text(st.characters(codec="utf-8"), max_size=60)
DIGITISH = st.text(
    st.one_of(st.characters(categories=["Nd", "No"]), st.sampled_from("0123456789- ")),
    min_size=9,
    max_size=13,
)


@PROPERTIES
@given(value=st.one_of(TEXT, DIGITISH))
def test_parse_cpr_gives_ten_ascii_digits_or_a_validation_error(value):
    try:
        digits, birth_date = parse_cpr(value)
    except ValidationError as refused:
        assert refused.messages in (
            [CPR_FORMAT],
            ["CPR-nummeret indeholder ikke en gyldig dato."],
        )
    else:
        assert len(digits) == 10 and digits.isascii() and digits.isdigit()
        assert birth_date.strftime("%d%m%y") == digits[:6]


@PROPERTIES
@given(name=TEXT, cpr=st.one_of(st.just(""), TEXT, DIGITISH), description=TEXT, address=TEXT)
def test_concern_form_never_fails_on_arbitrary_text(world, client, name, cpr, description, address):
    client.force_login(world.school_member)
    before = rows()
    data = concern_form_data(
        world, name=name, cpr=cpr, birth_date="2012-05-05", description=description, address=address
    )
    response = client.post("/bekymringer/ny/", data)
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 400:
        assert rows() == before
    else:
        assert Concern.objects.count() == before["Concern"] + 1


@PROPERTIES
@given(body=TEXT, visibility=st.one_of(st.just("agency"), TEXT))
def test_note_api_never_fails_on_arbitrary_text(world, client, body, visibility):
    client.force_login(world.school_member)
    before = rows()
    response = post_json(
        client,
        f"/api/v1/case-files/{world.case_file.pk}/notes/",
        {"body": body, "visibility": visibility},
    )
    assert response.status_code in (201, 400), (response.status_code, response.content)
    if response.status_code == 400:
        assert set(response.json()) >= {"detail", "errors"}
        assert rows() == before
    else:
        assert Note.objects.count() == before["Note"] + 1
        assert response.json()["body"] == body.strip()
