"""Issue 11 as the insiders of threats.md would attack it: the workflow pages (concern decision,
consent, the move at 18), the session chair and the htmx fragments, the start page, the
language switch. Each test is one attack; a defence that holds stays as a regression test."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from coordination.meetings import item_record, session_approve, session_create, session_set_chair
from coordination.models import ForumSession, PlanAction
from coordination.plans import action_create, plan_save
from core.models import Notification
from forums.models import Forum, ForumKind, Membership
from persons.models import Concern, ConsentRecord
from persons.services import IdentityInput, casefile_update, concern_register
from persons.workflow import casefile_transfer, concern_decide, consent_record
from tests.factories import UserFactory
from tests.persons.workflow_helpers import adult_soon_case_file
from tests.world import NECESSITY, OTHER_CPR, PERSON_CPR, PERSON_NAME, World

pytestmark = pytest.mark.django_db

MISSING = 2_000_000_000
REASON = "Forummet har vurderet sagen og fundet det nødvendigt af hensyn til den unge."
SECRET_REASON = "Hemmelig begrundelse om familiens forhold Zebrafink"
SECRET_NOTE = "Moderen gav samtykke ved hjemmebesøg Kolibri"
MINUTES = "Forummet drøftede fraværet; skolen kontakter familien inden næste møde."
HTMX = {"HTTP_HX_REQUEST": "true"}
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"|csrf[-_]?token[^>]*')


def client_for(user: User, **kwargs: Any) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def normalised(response: Any) -> str:
    """The body without the CSRF token and the request's own path (the 404 page's language
    switch returns to it): what is left must not depend on whether the object exists."""
    text = CSRF_RE.sub("", response.content.decode())
    return text.replace(response.wsgi_request.get_full_path(), "PATH")


def assert_same_404(first: Any, second: Any) -> None:
    """Not found, or (DPO, admin: content-blind everywhere) forbidden, alike for both."""
    assert first.status_code in {403, 404}, first.status_code
    assert first.status_code == second.status_code, (first.status_code, second.status_code)
    assert normalised(first) == normalised(second)


def soon() -> datetime.datetime:
    return timezone.now() + datetime.timedelta(hours=2)


def plan(world: World) -> ForumSession:
    return session_create(actor=world.coordinator, forum=world.forum, starts_at=soon())


def record_all(world: World, session: ForumSession) -> None:
    for item in session.items.all():
        item_record(
            actor=world.coordinator,
            item=item,
            mode="anonymous",
            necessity=NECESSITY,
            presenting_agency=world.police,
            minutes=MINUTES,
            attendees=[world.chair, world.school_member],
        )


def join(forum: Forum, user: User, role: str, **dates: Any) -> Membership:
    return Membership.objects.create(
        forum=forum,
        user=user,
        role=role,
        valid_from=dates.get("valid_from", datetime.date(2025, 1, 1)),
        valid_to=dates.get("valid_to"),
    )


def yesterday() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=1)


def third_forum(world: World, *, kind: str = ForumKind.SSP, age_max: int | None = 17) -> Forum:
    forum = Forum.objects.create(
        name="SSP Tredje", kind=kind, municipality=world.forum.municipality, age_max=age_max
    )
    forum.agencies.set([world.school, world.social])
    return forum


def db_holds(text: str) -> list[str]:
    """Every text, varchar, json and bytea column of the database that holds ``text``."""
    hits = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN "
            "('text', 'character varying', 'jsonb', 'json', 'bytea')"
        )
        columns = cursor.fetchall()
        for table, column, data_type in columns:
            if data_type == "bytea":
                condition = f'position(%s::bytea in "{column}") > 0'
                param: Any = text.encode()
            else:
                condition = f'"{column}"::text ILIKE %s'
                param = f"%{text}%"
            cursor.execute(f'SELECT 1 FROM "{table}" WHERE {condition} LIMIT 1', [param])  # noqa: S608
            if cursor.fetchone():
                hits.append(f"{table}.{column}")
    return hits


# --- The workflow pages: only the forum's managers; everyone else the same 404 ---------------

OUTSIDERS = ["school_member", "police_member", "expired_member", "outsider", "dpo", "admin"]


@pytest.mark.parametrize("persona", OUTSIDERS)
@pytest.mark.parametrize("route", ["concern", "consent", "transfer"])
def test_workflow_pages_answer_outsiders_as_for_a_missing_object(world, persona, route):
    target = {
        "concern": ("persons:concern-decide", world.concern.pk),
        "consent": ("persons:casefile-consent", world.case_file.pk),
        "transfer": ("persons:casefile-transfer", world.case_file.pk),
    }[route]
    client = client_for(getattr(world, persona))
    for method in ("get", "post"):
        data = {"decision": "no_action", "reason": REASON} if method == "post" else None
        existing = getattr(client, method)(reverse(target[0], args=[target[1]]), data)
        missing = getattr(client, method)(reverse(target[0], args=[MISSING]), data)
        assert_same_404(existing, missing)
    assert Concern.objects.get(pk=world.concern.pk).decision == Concern.Decision.PENDING
    assert not ConsentRecord.objects.exists()


def test_a_coordinator_of_one_forum_cannot_decide_another_forums_concern(world):
    foreign = world.other_case_file.concerns.get()
    client = client_for(world.coordinator)
    url = reverse("persons:concern-decide", args=[foreign.pk])
    response = client.post(url, {"decision": "no_action", "reason": REASON})
    missing = client.post(
        reverse("persons:concern-decide", args=[MISSING]), {"decision": "no_action"}
    )
    assert_same_404(response, missing)
    assert Concern.objects.get(pk=foreign.pk).decision == Concern.Decision.PENDING


def test_a_plain_member_cannot_decide_or_record_consent_through_the_services(world):
    with pytest.raises(PermissionDenied):
        concern_decide(
            actor=world.school_member, concern=world.concern, decision="no_action", reason=REASON
        )
    with pytest.raises(PermissionDenied):
        consent_record(
            actor=world.police_member,
            case_file=world.case_file,
            given_by=ConsentRecord.GivenBy.CUSTODY_HOLDER,
            decision=ConsentRecord.Decision.OBTAINED,
            given_on=timezone.localdate(),
        )


# --- Pass on: no oracle on a forum the actor does not manage ----------------------------------


def test_passing_on_to_an_unmanaged_forum_says_nothing_of_whether_the_person_is_there(world):
    client = client_for(world.coordinator)
    url = reverse("persons:concern-decide", args=[world.concern.pk])
    data = {"decision": "passed_on", "reason": REASON, "target_forum": world.other_forum.pk}
    before = client.post(url, data)
    # The outsider (other forum's coordinator) registers the same CPR: a silent match.
    concern_register(
        actor=world.outsider,
        forum=world.other_forum,
        identity=IdentityInput(name=PERSON_NAME, cpr=PERSON_CPR),
        categories=["vold"],
        description="Samme person i det andet forum",
        source_agency=world.social,
        necessity=NECESSITY,
    )
    after = client.post(url, data)
    assert before.status_code == after.status_code == 400
    assert normalised(before) == normalised(after)
    assert Concern.objects.get(pk=world.concern.pk).decision == Concern.Decision.PENDING


def test_pass_on_to_a_managed_forum_stores_no_reason_in_plaintext(world):
    target = third_forum(world)
    join(target, world.coordinator, Membership.Role.COORDINATOR)
    other_coordinator = UserFactory.create(agency=world.social, roles=["coordinator"])
    join(target, other_coordinator, Membership.Role.COORDINATOR)
    concern_decide(
        actor=world.coordinator,
        concern=world.concern,
        decision="passed_on",
        reason=SECRET_REASON,
        target_forum=target,
    )
    assert db_holds("Zebrafink") == []
    notices = list(Notification.objects.filter(recipient=other_coordinator))
    assert notices
    for notice in Notification.objects.all():
        text = f"{notice.message} {notice.link}"
        for secret in (PERSON_NAME, PERSON_CPR, "Zebrafink", "hærværk", "Rasmus"):
            assert secret not in text
    assert world.person.pseudonym in notices[0].message


def test_consent_note_is_not_stored_in_plaintext(world):
    consent_record(
        actor=world.coordinator,
        case_file=world.case_file,
        given_by=ConsentRecord.GivenBy.CUSTODY_HOLDER,
        decision=ConsentRecord.Decision.OBTAINED,
        given_on=timezone.localdate(),
        note=SECRET_NOTE,
    )
    assert db_holds("Kolibri") == []


# --- A chair per session --------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["expired_member", "outsider", "dpo", "admin"])
def test_the_chair_cannot_be_handed_to_anyone_but_a_current_member(world, persona):
    session = plan(world)
    chair_before = session.chair_id
    candidate = getattr(world, persona)
    with pytest.raises(ValidationError):
        session_set_chair(actor=world.coordinator, session=session, chair=candidate)
    response = client_for(world.coordinator).post(
        reverse("coordination:session-detail", args=[session.pk]), {"chair": candidate.pk}
    )
    assert response.status_code == 400
    assert ForumSession.objects.get(pk=session.pk).chair_id == chair_before


def test_the_api_answers_an_outsider_chair_as_an_unknown_user_id(world):
    session = plan(world)
    client = client_for(world.coordinator)
    url = f"/api/v1/sessions/{session.pk}/"
    foreign = client.patch(url, {"chair": world.outsider.pk}, content_type="application/json")
    unknown = client.patch(url, {"chair": MISSING}, content_type="application/json")
    assert foreign.status_code == unknown.status_code == 400
    assert foreign.json() == unknown.json()
    assert ForumSession.objects.get(pk=session.pk).chair_id == world.chair.pk


# A plain member sees the session, so its existence is no secret to them: get_object_for's
# convention is 403 for a visible object the user may not change. Everyone else: 404 alike.
VIEWERS = {"school_member", "police_member"}


def assert_refused(persona: str, existing: Any, missing: Any) -> None:
    if persona in VIEWERS:
        assert existing.status_code == 403
        assert missing.status_code == 404
    else:
        assert_same_404(existing, missing)


@pytest.mark.parametrize(
    "persona", ["school_member", "police_member", "expired_member", "outsider", "dpo"]
)
def test_a_non_manager_cannot_change_the_chair_and_learns_nothing(world, persona):
    session = plan(world)
    client = client_for(getattr(world, persona))
    data = {"chair": getattr(world, persona).pk}
    existing = client.post(reverse("coordination:session-detail", args=[session.pk]), data)
    missing = client.post(reverse("coordination:session-detail", args=[MISSING]), data)
    assert_refused(persona, existing, missing)
    api_existing = client.patch(
        f"/api/v1/sessions/{session.pk}/", data, content_type="application/json"
    )
    api_missing = client.patch(
        f"/api/v1/sessions/{MISSING}/", data, content_type="application/json"
    )
    if persona in VIEWERS:
        assert api_existing.status_code == 403
    else:
        assert api_existing.status_code == api_missing.status_code
        assert api_existing.json() == api_missing.json()
    assert ForumSession.objects.get(pk=session.pk).chair_id == world.chair.pk


def test_only_the_sessions_chair_approves(world):
    session = plan(world)
    session_set_chair(actor=world.coordinator, session=session, chair=world.school_member)
    record_all(world, session)
    for actor in (world.coordinator, world.chair, world.police_member):
        with pytest.raises(PermissionDenied):
            session_approve(actor=actor, session=ForumSession.objects.get(pk=session.pk))
        client_for(actor).post(reverse("coordination:session-approve", args=[session.pk]))
    assert ForumSession.objects.get(pk=session.pk).status != ForumSession.Status.APPROVED


def test_a_sessions_chair_whose_membership_ended_cannot_approve(world):
    session = plan(world)
    session_set_chair(actor=world.coordinator, session=session, chair=world.school_member)
    record_all(world, session)
    Membership.objects.filter(user=world.school_member).update(valid_to=yesterday())
    with pytest.raises(PermissionDenied):
        session_approve(actor=world.school_member, session=ForumSession.objects.get(pk=session.pk))
    response = client_for(world.school_member).post(
        reverse("coordination:session-approve", args=[session.pk])
    )
    assert response.status_code == 404
    assert ForumSession.objects.get(pk=session.pk).status != ForumSession.Status.APPROVED


def test_the_chair_cannot_change_after_approval(world):
    session = plan(world)
    record_all(world, session)
    session_approve(actor=world.chair, session=ForumSession.objects.get(pk=session.pk))
    with pytest.raises(ValidationError):
        session_set_chair(
            actor=world.coordinator,
            session=ForumSession.objects.get(pk=session.pk),
            chair=world.school_member,
        )
    assert ForumSession.objects.get(pk=session.pk).chair_id == world.chair.pk


# --- htmx fragments: the same checks and CSRF as the full pages -----------------------------


@pytest.mark.parametrize("persona", ["school_member", "expired_member", "outsider", "dpo"])
def test_the_agenda_fragment_answers_non_managers_as_a_missing_session(world, persona):
    session = plan(world)
    items_before = list(session.items.values_list("pk", "order"))
    client = client_for(getattr(world, persona))
    data = {"operation": "add", "case_file": world.case_file.pk}
    existing = client.post(reverse("coordination:session-agenda", args=[session.pk]), data, **HTMX)
    missing = client.post(reverse("coordination:session-agenda", args=[MISSING]), data, **HTMX)
    assert_refused(persona, existing, missing)
    assert list(session.items.values_list("pk", "order")) == items_before


@pytest.mark.parametrize("persona", ["outsider", "expired_member", "dpo", "admin"])
@pytest.mark.parametrize("reason", [REASON, ""])
def test_the_reveal_fragment_answers_outsiders_as_a_missing_person(world, persona, reason):
    client = client_for(getattr(world, persona))
    existing = client.post(
        reverse("coordination:person-reveal", args=[world.person.pk]), {"reason": reason}, **HTMX
    )
    missing = client.post(
        reverse("coordination:person-reveal", args=[MISSING]), {"reason": reason}, **HTMX
    )
    assert_same_404(existing, missing)
    assert PERSON_NAME not in existing.content.decode()


def test_htmx_posts_need_the_csrf_token(world):
    session = plan(world)
    client = client_for(world.coordinator, enforce_csrf_checks=True)
    agenda = client.post(
        reverse("coordination:session-agenda", args=[session.pk]),
        {"operation": "add", "case_file": world.case_file.pk},
        **HTMX,
    )
    reveal = client.post(
        reverse("coordination:person-reveal", args=[world.person.pk]), {"reason": REASON}, **HTMX
    )
    decide = client.post(
        reverse("persons:concern-decide", args=[world.concern.pk]),
        {"decision": "no_action", "reason": REASON},
    )
    chair = client.post(
        reverse("coordination:session-detail", args=[session.pk]),
        {"chair": world.school_member.pk},
    )
    assert {agenda.status_code, reveal.status_code, decide.status_code, chair.status_code} == {403}
    assert ForumSession.objects.get(pk=session.pk).chair_id == world.chair.pk


# --- The start page ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["expired_member", "outsider", "dpo", "admin"])
def test_the_start_page_shows_no_pseudonym_of_a_forum_the_user_is_not_in(world, persona):
    content = client_for(getattr(world, persona)).get(reverse("coordination:home")).content
    text = content.decode()
    if persona != "outsider":
        assert world.other_person.pseudonym not in text
    assert world.person.pseudonym not in text
    assert PERSON_NAME not in text


def test_the_start_page_shows_the_coordinator_the_pending_concern(world):
    # The positive control: the pseudonym does appear where it should.
    text = client_for(world.coordinator).get(reverse("coordination:home")).content.decode()
    assert world.person.pseudonym in text
    assert PERSON_NAME not in text and PERSON_CPR not in text


def test_the_start_page_of_a_police_chair_of_two_forums_lists_no_pseudonym(world):
    join(world.other_forum, world.police_member, Membership.Role.CHAIR)
    Membership.objects.filter(user=world.police_member, forum=world.forum).update(
        role=Membership.Role.CHAIR
    )
    text = client_for(world.police_member).get(reverse("coordination:home")).content.decode()
    assert world.person.pseudonym not in text
    assert world.other_person.pseudonym not in text


def test_a_former_coordinator_keeps_no_notification_of_the_old_forum_on_the_start_page(world):
    former = UserFactory.create(full_name="Freja Fhv", agency=world.school, roles=["coordinator"])
    join(world.forum, former, Membership.Role.COORDINATOR)
    join(world.other_forum, former, Membership.Role.MEMBER)  # still in another forum
    result = concern_register(
        actor=world.school_member,
        forum=world.forum,
        identity=IdentityInput(name="Ny Person", cpr="0202134567"),
        categories=["skolefravaer"],
        description="Ny bekymring",
        source_agency=world.school,
        necessity=NECESSITY,
    )
    pseudonym = result.person.pseudonym
    Membership.objects.filter(user=former, forum=world.forum).update(valid_to=yesterday())
    text = client_for(former).get(reverse("coordination:home")).content.decode()
    assert pseudonym not in text


def test_a_known_cpr_typed_into_another_forum_changes_no_start_page_of_the_typist(world):
    # The outsider types this forum's person's CPR: their start page must not start to show
    # anything of the first forum (the silent match opens a case file on their own forum).
    client = client_for(world.outsider)
    before = client.get(reverse("coordination:home")).content.decode()
    assert world.person.pseudonym not in before
    concern_register(
        actor=world.outsider,
        forum=world.other_forum,
        identity=IdentityInput(name="Et andet navn", cpr=PERSON_CPR),
        categories=["vold"],
        description="Samme CPR",
        source_agency=world.social,
        necessity=NECESSITY,
    )
    after = client.get(reverse("coordination:home")).content.decode()
    assert "SSP Test" not in after
    assert PERSON_NAME not in after
    assert OTHER_CPR not in after


# --- The language switch ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "http:evil.example"]
)
def test_the_language_switch_is_no_open_redirect(world, target):
    for client in (Client(), client_for(world.school_member)):
        response = client.post(
            reverse("set_language"),
            {"language": "en", "next": target},
            HTTP_REFERER="https://evil.example/x",
        )
        assert response.status_code == 302
        assert "evil" not in response["Location"]


def test_the_language_switch_needs_csrf(world):
    client = client_for(world.school_member, enforce_csrf_checks=True)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 403


def test_the_language_switch_by_get_is_no_open_redirect(world):
    response = Client().get(reverse("set_language"), {"next": "https://evil.example/"})
    assert response.status_code == 302
    assert "evil" not in response["Location"]


def _action_for(world: World, *, actor: User, case_file: Any, owner: User) -> None:
    plan = plan_save(actor=actor, case_file=case_file, goals="Mål for den unge i skolen")
    action_create(
        actor=actor,
        plan=plan,
        description="Politiet taler med den unge",
        responsible_agency=owner.agency,
        owner=owner,
        due_date=timezone.localdate() + datetime.timedelta(days=7),
    )


def test_the_start_page_of_a_police_member_of_two_forums_lists_one_forum_at_a_time(world):
    world.other_forum.agencies.add(world.police)
    join(world.other_forum, world.police_member, Membership.Role.MEMBER)
    _action_for(
        world, actor=world.coordinator, case_file=world.case_file, owner=world.police_member
    )
    _action_for(
        world, actor=world.outsider, case_file=world.other_case_file, owner=world.police_member
    )
    text = client_for(world.police_member).get(reverse("coordination:home")).content.decode()
    assert not (world.person.pseudonym in text and world.other_person.pseudonym in text)


# --- The move at 18 and the age band ----------------------------------------------------------


def test_the_transfer_and_age_override_reasons_are_not_stored_in_plaintext(world):
    plus = third_forum(world, kind=ForumKind.SSP_PLUS, age_max=None)
    join(plus, world.coordinator, Membership.Role.COORDINATOR)
    case_file = adult_soon_case_file(world)
    casefile_transfer(
        actor=world.coordinator,
        case_file=case_file,
        target_forum=plus,
        reason=SECRET_REASON,
    )
    assert db_holds("Zebrafink") == []
    concern_register(
        actor=world.chair,
        forum=world.forum,
        identity=IdentityInput(name="Voksen Person", cpr="0101904321"),
        categories=["skolefravaer"],
        description="Voksen i SSP",
        source_agency=None,
        necessity=NECESSITY,
        age_override_reason="Undtagelse godkendt af formanden Pingvinhus",
    )
    assert db_holds("Pingvinhus") == []


def test_a_coordinator_who_is_not_chair_cannot_override_the_age_band(world):
    with pytest.raises(ValidationError) as refused:
        concern_register(
            actor=world.coordinator,
            forum=world.forum,
            identity=IdentityInput(name="Voksen Person", cpr="0101904321"),
            categories=["skolefravaer"],
            description="Voksen i SSP",
            source_agency=None,
            necessity=NECESSITY,
            age_override_reason=REASON,
        )
    assert "age_override_reason" in refused.value.message_dict
    assert (
        not Concern.objects.filter(case_file__forum=world.forum)
        .exclude(pk=world.concern.pk)
        .exists()
    )


def _register_adult(world: World, cpr: str, **kwargs: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        concern_register(
            actor=world.school_member,
            forum=world.forum,
            identity=IdentityInput(name="Ukendt Navn", cpr=cpr),
            categories=["skolefravaer"],
            description="Voksen i SSP",
            source_agency=None,
            necessity=NECESSITY,
            **kwargs,
        )
    return refused.value.message_dict


@pytest.mark.parametrize("kwargs", [{}, {"age_override_reason": REASON}, {"ksp_letter": "b"}])
def test_typing_an_adult_cpr_known_to_another_forum_answers_as_an_unknown_one(world, kwargs):
    psp = third_forum(world, kind=ForumKind.PSP, age_max=None)
    join(psp, world.outsider, Membership.Role.COORDINATOR)
    concern_register(
        actor=world.outsider,
        forum=psp,
        identity=IdentityInput(name="Kendt Voksen", cpr="0101904321"),
        categories=["vold"],
        description="Kendt i PSP",
        source_agency=world.social,
        necessity=NECESSITY,
    )
    known = _register_adult(world, "0101904321", **kwargs)
    unknown = _register_adult(world, "0101904313", **kwargs)
    assert "cpr" not in known  # refused for the age, not for a malformed CPR
    assert known == unknown


def test_a_coordinator_cannot_record_consent_on_another_forums_case_file(world):
    client = client_for(world.coordinator)
    data = {
        "given_by": "custody_holder",
        "decision": "obtained",
        "given_on": timezone.localdate().isoformat(),
    }
    existing = client.post(
        reverse("persons:casefile-consent", args=[world.other_case_file.pk]), data
    )
    missing = client.post(reverse("persons:casefile-consent", args=[MISSING]), data)
    assert_same_404(existing, missing)
    assert not ConsentRecord.objects.exists()


def test_a_closed_case_file_takes_no_consent_or_transfer(world):
    world.case_file.closed_at = timezone.now()
    world.case_file.save(update_fields=["closed_at"])
    client = client_for(world.coordinator)
    for name in ("persons:casefile-consent", "persons:casefile-transfer"):
        existing = client.get(reverse(name, args=[world.case_file.pk]))
        missing = client.get(reverse(name, args=[MISSING]))
        assert_same_404(existing, missing)


def test_a_change_of_chair_leaves_a_trace_in_the_change_log(world):
    # The coordinator may name any current member, themselves included, as the session's chair
    # (decision 0017): the hand-over of the approval must at least be traceable.
    session = plan(world)
    session_set_chair(actor=world.coordinator, session=session, chair=world.coordinator)
    entries = LogEntry.objects.filter(
        content_type__model="forumsession", object_id=session.pk
    ).order_by("-timestamp")
    assert any("chair" in entry.changes_dict for entry in entries)


@pytest.mark.parametrize("persona", ["outsider", "expired_member", "dpo", "admin"])
def test_the_action_row_fragment_answers_outsiders_as_a_missing_action(world, persona):
    _action_for(
        world, actor=world.coordinator, case_file=world.case_file, owner=world.police_member
    )
    action = PlanAction.objects.get()
    client = client_for(getattr(world, persona))
    data = {"version": action.version, "status": "done", "back": "tasks"}
    existing = client.post(reverse("coordination:action-status", args=[action.pk]), data, **HTMX)
    missing = client.post(reverse("coordination:action-status", args=[MISSING]), data, **HTMX)
    assert_same_404(existing, missing)
    assert "Politiet taler" not in existing.content.decode()
    assert PlanAction.objects.get().status == PlanAction.Status.OPEN


def test_the_chair_cannot_go_to_a_future_member_or_a_deactivated_one(world):
    session = plan(world)
    future = UserFactory.create(full_name="Fremtidig Medlem", agency=world.school, roles=["member"])
    join(
        world.forum,
        future,
        Membership.Role.MEMBER,
        valid_from=timezone.localdate() + datetime.timedelta(days=3),
    )
    world.school_member.is_active = False
    world.school_member.save(update_fields=["is_active"])
    client = client_for(world.coordinator)
    for candidate in (future, world.school_member):
        with pytest.raises(ValidationError):
            session_set_chair(actor=world.coordinator, session=session, chair=candidate)
        response = client.patch(
            f"/api/v1/sessions/{session.pk}/",
            {"chair": candidate.pk},
            content_type="application/json",
        )
        assert response.status_code == 400
    assert ForumSession.objects.get(pk=session.pk).chair_id == world.chair.pk


def test_the_revealed_identity_fragment_is_not_cached(world):
    casefile_update(
        actor=world.coordinator,
        case_file=world.case_file,
        mode="named",
        reason="Forummet skal tale om den unge med navn for at koordinere.",
    )
    client = client_for(world.school_member)
    response = client.post(
        reverse("coordination:person-reveal", args=[world.person.pk]), {"reason": REASON}, **HTMX
    )
    assert response.status_code == 200
    assert PERSON_NAME in response.content.decode()  # the reveal did happen
    assert "no-store" in response.get("Cache-Control", "")
    assert "HX-Request" in response.get("Vary", "")
    assert PERSON_NAME not in response.get("HX-Trigger", "")
