"""The agenda a session is planned with: which case files are proposed, under which kind, and
the boundaries of each rule (new concern / review date / due action on the session's day).
Also planning a session through the API and editing its agenda."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from accounts.models import User
from coordination.meetings import (
    agenda_add,
    agenda_proposal,
    agenda_remove,
    agenda_reorder,
    item_record,
    session_approve,
    session_create,
)
from coordination.models import AgendaItem, ForumSession, Plan, PlanAction
from coordination.plans import action_create, action_update, plan_save
from forums.models import Forum
from persons.models import CaseFile, Concern
from persons.services import IdentityInput, casefile_update, concern_register
from tests.concurrency import race
from tests.openapi import assert_matches
from tests.world import NECESSITY, PERSON_CPR, PERSON_NAME, World

pytestmark = pytest.mark.django_db

BIRTH = datetime.date(2012, 6, 1)


def session_day() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=10)


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def new_case(world: World, name: str, forum: Forum | None = None) -> CaseFile:
    """A case file with one pending concern (the way a person comes to a forum)."""
    forum = forum or world.forum
    actor = world.school_member if forum == world.forum else world.outsider
    result = concern_register(
        actor=actor,
        forum=forum,
        identity=IdentityInput(name=name, birth_date=BIRTH),
        categories=["haervaerk"],
        description="Bekymring til dagsordenstest",
        source_agency=world.school,
        necessity=NECESSITY,
    )
    return result.concern.case_file


def settle(case_file: CaseFile) -> CaseFile:
    """The case file's concerns were decided (no further action): not a new concern."""
    Concern.objects.filter(case_file=case_file).update(decision=Concern.Decision.NO_ACTION)
    return case_file


def with_plan(world: World, case_file: CaseFile, review_date: datetime.date | None = None) -> Plan:
    actor = world.coordinator if case_file.forum_id == world.forum.pk else world.outsider
    return plan_save(actor=actor, case_file=case_file, goals="Mål", review_date=review_date)


def with_action(
    world: World, case_file: CaseFile, due: datetime.date, *, done: bool = False
) -> PlanAction:
    plan = Plan.objects.filter(case_file=case_file).first() or with_plan(world, case_file)
    if case_file.forum_id == world.forum.pk:
        actor, owner = world.coordinator, world.school_member
    else:
        actor = owner = world.outsider
    assert owner.agency is not None
    action = action_create(
        actor=actor,
        plan=plan,
        description="Handling til dagsordenstest",
        responsible_agency=owner.agency,
        owner=owner,
        due_date=due,
    )
    if done:
        action = action_update(actor=actor, action=action, version=action.version, status="done")
    return action


def record_directly(world: World, case_file: CaseFile) -> AgendaItem:
    """A past session where the case file was discussed (recorded now, after its concern)."""
    session = ForumSession.objects.create(
        forum=case_file.forum, starts_at=timezone.now(), created_by=world.coordinator
    )
    item = AgendaItem(
        session=session,
        case_file=case_file,
        kind=AgendaItem.Kind.NEW_CONCERN,
        recorded_at=timezone.now(),
        recorded_by=world.coordinator,
    )
    item.save()
    return item


def proposal(world: World, day: datetime.date) -> dict[int, str]:
    result = agenda_proposal(forum=world.forum, day=day)
    ids = [case_file.pk for case_file, _kind in result]
    assert len(ids) == len(set(ids)), "a case file is proposed more than once"
    return {case_file.pk: kind for case_file, kind in result}


def post(client: Any, url: str, data: Any) -> Any:
    return client.post(url, data, content_type="application/json")


# --- agenda_proposal: each rule and its boundary -----------------------------------------


def test_undiscussed_pending_concern_is_new(world):
    assert proposal(world, session_day()) == {world.case_file.pk: AgendaItem.Kind.NEW_CONCERN}


def test_concern_brought_to_forum_is_new(world):
    case_file = new_case(world, "Bring Tilforum")
    Concern.objects.filter(case_file=case_file).update(decision=Concern.Decision.BRING_TO_FORUM)
    assert proposal(world, session_day())[case_file.pk] == AgendaItem.Kind.NEW_CONCERN


def test_concern_decided_no_action_is_not_new(world):
    settle(world.case_file)
    assert world.case_file.pk not in proposal(world, session_day())


def test_discussed_concern_is_not_new(world):
    record_directly(world, world.case_file)
    assert world.case_file.pk not in proposal(world, session_day())


def test_unrecorded_agenda_item_does_not_count_as_discussed(world):
    session = ForumSession.objects.create(
        forum=world.forum, starts_at=timezone.now(), created_by=world.coordinator
    )
    AgendaItem(session=session, case_file=world.case_file, kind="new").save()
    assert proposal(world, session_day()) == {world.case_file.pk: AgendaItem.Kind.NEW_CONCERN}


def test_a_concern_logged_after_the_discussion_is_new_again(world):
    record_directly(world, world.case_file)
    assert world.case_file.pk not in proposal(world, session_day())
    concern_register(
        actor=world.school_member,
        forum=world.forum,
        identity=IdentityInput(name=PERSON_NAME, cpr=PERSON_CPR),
        categories=["haervaerk"],
        description="Ny bekymring efter mødet",
        source_agency=world.school,
        necessity=NECESSITY,
    )
    assert proposal(world, session_day())[world.case_file.pk] == AgendaItem.Kind.NEW_CONCERN


def test_review_date_on_the_day_is_review_and_the_day_after_is_not(world):
    day = session_day()
    on_day = settle(new_case(world, "Revurdering Samedag"))
    day_after = settle(new_case(world, "Revurdering Dagefter"))
    with_plan(world, on_day, review_date=day)
    with_plan(world, day_after, review_date=day + datetime.timedelta(days=1))

    proposed = proposal(world, day)
    assert proposed[on_day.pk] == AgendaItem.Kind.REVIEW
    assert day_after.pk not in proposed


def test_open_action_due_on_the_day_is_follow_up_but_not_the_day_after_or_done(world):
    day = session_day()
    due_on_day = settle(new_case(world, "Handling Samedag"))
    due_after = settle(new_case(world, "Handling Dagefter"))
    done_before = settle(new_case(world, "Handling Udfoert"))
    with_action(world, due_on_day, day)
    with_action(world, due_after, day + datetime.timedelta(days=1))
    with_action(world, done_before, day - datetime.timedelta(days=1), done=True)

    proposed = proposal(world, day)
    assert proposed[due_on_day.pk] == AgendaItem.Kind.FOLLOW_UP
    assert due_after.pk not in proposed
    assert done_before.pk not in proposed


def test_closed_case_file_is_never_proposed(world):
    day = session_day()
    closed = new_case(world, "Lukket Sag")  # pending concern
    with_plan(world, closed, review_date=day)
    with_action(world, closed, day)
    assert closed.pk in proposal(world, day)
    casefile_update(actor=world.coordinator, case_file=closed, closed_reason="Afsluttet")

    assert closed.pk not in proposal(world, day)


def test_case_file_of_another_forum_is_never_proposed(world):
    day = session_day()
    other = world.other_case_file  # pending concern in the other forum
    with_plan(world, other, review_date=day)
    with_action(world, other, day)
    assert other.pk in {cf.pk for cf, _ in agenda_proposal(forum=world.other_forum, day=day)}

    assert other.pk not in proposal(world, day)


def test_each_case_file_at_most_once_with_the_first_kind(world):
    day = session_day()
    # world.case_file: new concern + review + two due actions
    with_plan(world, world.case_file, review_date=day - datetime.timedelta(days=2))
    with_action(world, world.case_file, day)
    with_action(world, world.case_file, day - datetime.timedelta(days=5))
    review_and_follow = settle(new_case(world, "Baade Revurdering Opfoelgning"))
    with_plan(world, review_and_follow, review_date=day)
    with_action(world, review_and_follow, day)
    with_action(world, review_and_follow, day)

    result = agenda_proposal(forum=world.forum, day=day)
    assert [cf.pk for cf, _ in result].count(world.case_file.pk) == 1
    assert [cf.pk for cf, _ in result].count(review_and_follow.pk) == 1
    kinds = {cf.pk: kind for cf, kind in result}
    assert kinds == {
        world.case_file.pk: AgendaItem.Kind.NEW_CONCERN,
        review_and_follow.pk: AgendaItem.Kind.REVIEW,
    }


# --- session_create through the API ------------------------------------------------------


def test_coordinator_plans_a_session_with_the_proposed_agenda(world, client):
    day = session_day()
    review = settle(new_case(world, "Revurdering Api"))
    with_plan(world, review, review_date=day)
    follow = settle(new_case(world, "Opfoelgning Api"))
    with_action(world, follow, day)
    not_yet = settle(new_case(world, "Ikke Endnu"))
    with_plan(world, not_yet, review_date=day + datetime.timedelta(days=1))

    client.force_login(world.coordinator)
    response = post(
        client,
        f"/api/v1/forums/{world.forum.pk}/sessions/",
        {"starts_at": at(day).isoformat(), "location": "Rådhuset, lokale 2"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["forum"] == world.forum.pk
    assert body["status"] == "planned"
    session = ForumSession.objects.get(pk=body["id"])
    assert session.created_by_id == world.coordinator.pk
    assert session.location == "Rådhuset, lokale 2"

    client.force_login(world.school_member)  # a plain member reads it
    detail = client.get(f"/api/v1/sessions/{session.pk}/")
    assert detail.status_code == 200, detail.content
    agenda = detail.json()["agenda"]
    by_case = {item["case_file"]: item for item in agenda}
    assert set(by_case) == {world.case_file.pk, review.pk, follow.pk}
    assert by_case[world.case_file.pk]["kind"] == "new"
    assert by_case[review.pk]["kind"] == "review"
    assert by_case[follow.pk]["kind"] == "follow-up"
    assert by_case[world.case_file.pk]["pseudonym"] == world.person.pseudonym
    assert by_case[review.pk]["pseudonym"] == review.person.pseudonym
    assert sorted(item["order"] for item in agenda) == [1, 2, 3]
    assert PERSON_NAME not in detail.content.decode()


def test_plain_member_may_not_plan_a_session(world, client):
    client.force_login(world.school_member)
    response = post(
        client,
        f"/api/v1/forums/{world.forum.pk}/sessions/",
        {"starts_at": at(session_day()).isoformat()},
    )
    assert response.status_code == 403, response.content
    assert not ForumSession.objects.exists()


def test_outsider_does_not_see_the_forum_to_plan_in(world, client):
    client.force_login(world.outsider)
    response = post(
        client,
        f"/api/v1/forums/{world.forum.pk}/sessions/",
        {"starts_at": at(session_day()).isoformat()},
    )
    assert response.status_code == 404, response.content
    assert not ForumSession.objects.exists()


# --- editing the agenda ----------------------------------------------------------------


@pytest.fixture
def session(world) -> ForumSession:
    return session_create(actor=world.coordinator, forum=world.forum, starts_at=at(session_day()))


def test_adding_a_case_file_already_on_the_agenda_is_400(world, client, session):
    assert session.items.filter(case_file=world.case_file).exists()
    client.force_login(world.coordinator)
    response = post(
        client,
        f"/api/v1/sessions/{session.pk}/agenda-items/",
        {"case_file": world.case_file.pk},
    )
    assert response.status_code == 400, response.content
    assert "case_file" in response.json()["errors"]
    assert session.items.filter(case_file=world.case_file).count() == 1


def test_adding_a_case_file_goes_to_the_end_and_twice_is_400(world, client, session):
    extra = settle(new_case(world, "Tilfoejet Sag"))
    client.force_login(world.coordinator)
    url = f"/api/v1/sessions/{session.pk}/agenda-items/"
    first = post(client, url, {"case_file": extra.pk, "kind": "review"})
    assert first.status_code == 201, first.content
    assert first.json()["kind"] == "review"
    assert first.json()["pseudonym"] == extra.person.pseudonym
    assert first.json()["order"] == session.items.count()

    again = post(client, url, {"case_file": extra.pk, "kind": "follow-up"})
    assert again.status_code == 400, again.content
    assert "case_file" in again.json()["errors"]
    assert session.items.filter(case_file=extra).count() == 1


def test_agenda_items_answer_in_their_documented_shape(world, client, session):
    """Found by schemathesis (ST108): an item not yet recorded answered ``minutes: null``
    where the schema promised a string."""
    extra = settle(new_case(world, "Skema Sag"))
    client.force_login(world.coordinator)
    created = post(client, f"/api/v1/sessions/{session.pk}/agenda-items/", {"case_file": extra.pk})
    assert created.status_code == 201, created.content
    assert created.json()["minutes"] is None
    assert_matches("AgendaItem", created.json())

    detail = client.get(f"/api/v1/sessions/{session.pk}/")
    assert detail.status_code == 200, detail.content
    assert [i["minutes"] for i in detail.json()["agenda"]] == [None] * session.items.count()
    assert_matches("SessionDetail", detail.json())


def test_plain_member_may_not_add_to_the_agenda(world, client, session):
    extra = settle(new_case(world, "Ikke Tilfoejet"))
    client.force_login(world.school_member)
    response = post(client, f"/api/v1/sessions/{session.pk}/agenda-items/", {"case_file": extra.pk})
    assert response.status_code == 403, response.content
    assert not session.items.filter(case_file=extra).exists()


def test_case_file_of_another_forum_cannot_be_added(world, session):
    with pytest.raises(ValidationError) as excinfo:
        agenda_add(actor=world.coordinator, session=session, case_file=world.other_case_file)
    assert "case_file" in excinfo.value.message_dict
    assert not session.items.filter(case_file=world.other_case_file).exists()


def _order(session: ForumSession) -> list[int]:
    return list(session.items.order_by("order", "pk").values_list("pk", flat=True))


def test_reorder_sets_the_given_order(world, session):
    for name in ("Anden Sag", "Tredje Sag"):
        agenda_add(actor=world.coordinator, session=session, case_file=new_case(world, name))
    ids = _order(session)
    assert len(ids) == 3

    agenda_reorder(actor=world.coordinator, session=session, item_ids=list(reversed(ids)))

    assert _order(session) == list(reversed(ids))
    assert list(session.items.order_by("order").values_list("order", flat=True)) == [1, 2, 3]


def test_reorder_must_name_every_item_exactly_once(world, session):
    agenda_add(actor=world.coordinator, session=session, case_file=new_case(world, "Anden Sag"))
    ids = _order(session)
    for wrong in ([ids[0]], [ids[0], ids[0]], [*ids, 999_999]):
        with pytest.raises(ValidationError):
            agenda_reorder(actor=world.coordinator, session=session, item_ids=wrong)
    assert _order(session) == ids


def test_remove_an_unrecorded_item(world, session):
    item = session.items.get(case_file=world.case_file)
    agenda_remove(actor=world.coordinator, item=item)
    assert not session.items.exists()


def test_a_recorded_item_cannot_be_removed(world, session):
    item = session.items.get(case_file=world.case_file)
    item.recorded_at = timezone.now()
    item.save(update_fields=["recorded_at"])
    with pytest.raises(ValidationError):
        agenda_remove(actor=world.coordinator, item=item)
    assert session.items.filter(pk=item.pk).exists()


def test_an_approved_session_s_agenda_is_locked(world, session):
    item = session.items.get(case_file=world.case_file)
    attendees: list[User] = [world.chair, world.school_member]
    item_record(
        actor=world.coordinator,
        item=item,
        mode="anonymous",
        necessity=NECESSITY,
        presenting_agency=world.school,
        minutes="Drøftet.",
        attendees=attendees,
    )
    session_approve(actor=world.chair, session=session)
    session.refresh_from_db()
    extra = settle(new_case(world, "For Sent"))
    with pytest.raises(ValidationError):
        agenda_add(actor=world.coordinator, session=session, case_file=extra)
    with pytest.raises(ValidationError):
        agenda_reorder(actor=world.coordinator, session=session, item_ids=_order(session))
    assert not session.items.filter(case_file=extra).exists()


# --- Two requests at the same moment -------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_adding_the_same_case_file_twice_at_once_is_400_not_500(world, session):
    """Chair and coordinator both add the same case file (or one double-clicks): one item is
    added, the other request gets the same 400 as a sequential duplicate, never a 500."""
    extra = settle(new_case(world, "Samtidig Tilfoejet"))
    first_client, second_client = Client(), Client(raise_request_exception=False)
    first_client.force_login(world.coordinator)
    second_client.force_login(world.chair)
    url = f"/api/v1/sessions/{session.pk}/agenda-items/"

    first, second = race(
        lambda: post(first_client, url, {"case_file": extra.pk}),
        lambda: post(second_client, url, {"case_file": extra.pk}),
    )

    assert first.status_code == 201, first.content
    assert second.status_code == 400, (second.status_code, second.content)
    assert session.items.filter(case_file=extra).count() == 1
