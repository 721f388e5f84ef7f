"""The helhedsplan and its actions through the API: encrypted goals, optimistic versions
(stale → 409), who may write, and the user's own open actions."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from coordination.models import Plan, PlanAction
from coordination.plans import action_create, plan_save
from forums.models import Membership
from persons.models import CaseFile
from persons.services import IdentityInput, casefile_update, concern_register
from tests.concurrency import race
from tests.world import NECESSITY, World

pytestmark = pytest.mark.django_db

GOALS = "Den unge kommer i skole hver dag og har en fritidsaktivitet inden jul."
NEW_GOALS = "Den unge kommer i skole hver dag, har en fritidsaktivitet og en fast kontaktperson."
DESCRIPTION = "Skolen holder samtale med forældrene om fraværet."


def post(client: Any, url: str, data: Any) -> Any:
    return client.post(url, data, content_type="application/json")


def patch(client: Any, url: str, data: Any) -> Any:
    return client.patch(url, data, content_type="application/json")


def plan_url(case_file: CaseFile) -> str:
    return f"/api/v1/case-files/{case_file.pk}/plan/"


def actions_url(plan: Plan) -> str:
    return f"/api/v1/plans/{plan.pk}/actions/"


def action_url(action: PlanAction) -> str:
    return f"/api/v1/actions/{action.pk}/"


def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.date:
    return today() + datetime.timedelta(days=n)


@pytest.fixture
def plan(world) -> Plan:
    return plan_save(actor=world.coordinator, case_file=world.case_file, goals=GOALS)


def make_action(world: World, plan: Plan, due: datetime.date, owner: Any = None) -> PlanAction:
    owner = owner or world.school_member
    assert owner.agency is not None
    return action_create(
        actor=world.coordinator,
        plan=plan,
        description=DESCRIPTION,
        responsible_agency=owner.agency,
        owner=owner,
        due_date=due,
    )


# --- The plan ------------------------------------------------------------------------------


def test_coordinator_creates_a_plan_with_encrypted_goals(world, client):
    client.force_login(world.coordinator)
    response = post(
        client, plan_url(world.case_file), {"goals": GOALS, "review_date": str(days(30))}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["goals"] == GOALS
    assert body["version"] == 1
    assert body["review_date"] == str(days(30))
    plan = Plan.objects.get(case_file=world.case_file)
    assert plan.pk == body["id"]
    assert plan.goals == GOALS
    with connection.cursor() as cursor:
        cursor.execute("SELECT goals FROM coordination_plan WHERE id = %s", [plan.pk])
        row = cursor.fetchone()
    assert row is not None
    stored = bytes(row[0])
    assert GOALS.encode() not in stored
    assert b"fritidsaktivitet" not in stored


def test_update_with_the_right_version_increments_it(world, client, plan):
    client.force_login(world.coordinator)
    response = post(client, plan_url(world.case_file), {"goals": NEW_GOALS, "version": 1})
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2
    assert response.json()["goals"] == NEW_GOALS
    stored = Plan.objects.get(pk=plan.pk)
    assert (stored.version, stored.goals) == (2, NEW_GOALS)


@pytest.mark.parametrize("version", [1, 3, None])
def test_update_with_a_stale_or_missing_version_is_409_and_changes_nothing(
    world, client, plan, version
):
    plan_save(
        actor=world.coordinator, case_file=world.case_file, goals=NEW_GOALS, version=1
    )  # someone else saved version 2
    client.force_login(world.coordinator)
    data: dict[str, Any] = {"goals": "Mine forældede mål", "review_date": str(days(5))}
    if version is not None:
        data["version"] = version

    response = post(client, plan_url(world.case_file), data)

    assert response.status_code == 409, response.content
    assert "version" in response.json()["errors"]
    stored = Plan.objects.get(pk=plan.pk)
    assert (stored.version, stored.goals, stored.review_date) == (2, NEW_GOALS, None)


def test_plain_member_may_not_write_the_plan(world, client):
    client.force_login(world.school_member)
    response = post(client, plan_url(world.case_file), {"goals": GOALS})
    assert response.status_code == 403, response.content
    assert not Plan.objects.exists()


def test_member_reads_the_plan_decrypted_and_outsider_gets_404(world, client, plan):
    client.force_login(world.school_member)
    response = client.get(plan_url(world.case_file))
    assert response.status_code == 200, response.content
    assert response.json()["goals"] == GOALS
    assert response.json()["version"] == 1

    client.force_login(world.outsider)
    hidden = client.get(plan_url(world.case_file))
    assert hidden.status_code == 404, hidden.content
    assert GOALS not in hidden.content.decode()


def test_outsider_cannot_write_the_plan(world, client):
    client.force_login(world.outsider)
    response = post(client, plan_url(world.case_file), {"goals": GOALS})
    assert response.status_code == 404, response.content
    assert not Plan.objects.exists()


# --- Actions -------------------------------------------------------------------------------


def test_coordinator_creates_an_action(world, client, plan):
    client.force_login(world.coordinator)
    response = post(
        client,
        actions_url(plan),
        {
            "description": DESCRIPTION,
            "responsible_agency": world.school.pk,
            "owner": world.school_member.pk,
            "due_date": str(days(7)),
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner"] == world.school_member.pk
    assert body["status"] == "open"
    assert body["version"] == 1
    assert body["description"] == DESCRIPTION
    assert body["pseudonym"] == world.person.pseudonym
    action = PlanAction.objects.get(pk=body["id"])
    assert (action.plan_id, action.due_date, action.description) == (plan.pk, days(7), DESCRIPTION)
    with connection.cursor() as cursor:
        cursor.execute("SELECT description FROM coordination_planaction WHERE id = %s", [action.pk])
        row = cursor.fetchone()
    assert row is not None
    assert DESCRIPTION.encode() not in bytes(row[0])


@pytest.mark.parametrize("who", ["outsider", "expired_member"])
def test_an_owner_who_is_not_a_forum_member_is_400(world, client, plan, who):
    owner = getattr(world, who)
    client.force_login(world.coordinator)
    response = post(
        client,
        actions_url(plan),
        {
            "description": DESCRIPTION,
            "responsible_agency": owner.agency_id,
            "owner": owner.pk,
            "due_date": str(days(7)),
        },
    )
    assert response.status_code == 400, response.content
    assert "owner" in response.json()["errors"]
    assert not PlanAction.objects.exists()


def test_plain_member_may_not_create_an_action(world, client, plan):
    client.force_login(world.school_member)
    response = post(
        client,
        actions_url(plan),
        {
            "description": DESCRIPTION,
            "responsible_agency": world.school.pk,
            "owner": world.school_member.pk,
            "due_date": str(days(7)),
        },
    )
    assert response.status_code == 403, response.content
    assert not PlanAction.objects.exists()


def test_owner_marks_the_action_done(world, client, plan):
    action = make_action(world, plan, days(7))
    client.force_login(world.school_member)  # a plain member, the owner

    response = patch(client, action_url(action), {"version": 1, "status": "done"})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "done"
    assert response.json()["version"] == 2
    assert response.json()["completed_at"] is not None
    stored = PlanAction.objects.get(pk=action.pk)
    assert stored.status == PlanAction.Status.DONE
    assert stored.completed_at is not None
    assert stored.version == 2
    assert stored.description == DESCRIPTION


def test_a_stale_action_version_is_409(world, client, plan):
    action = make_action(world, plan, days(7))
    client.force_login(world.school_member)
    assert patch(client, action_url(action), {"version": 1, "status": "done"}).status_code == 200

    stale = patch(client, action_url(action), {"version": 1, "status": "cancelled"})

    assert stale.status_code == 409, stale.content
    assert "version" in stale.json()["errors"]
    stored = PlanAction.objects.get(pk=action.pk)
    assert (stored.status, stored.version) == (PlanAction.Status.DONE, 2)


def test_another_plain_member_may_not_change_the_action(world, client, plan):
    action = make_action(world, plan, days(7))
    client.force_login(world.police_member)  # sees it, does not own it

    response = patch(client, action_url(action), {"version": 1, "status": "done"})

    assert response.status_code == 403, response.content
    stored = PlanAction.objects.get(pk=action.pk)
    assert (stored.status, stored.version, stored.completed_at) == ("open", 1, None)


def test_outsider_does_not_see_the_action(world, client, plan):
    action = make_action(world, plan, days(7))
    client.force_login(world.outsider)
    response = patch(client, action_url(action), {"version": 1, "status": "done"})
    assert response.status_code == 404, response.content
    assert PlanAction.objects.get(pk=action.pk).status == "open"


def test_chair_reopens_a_done_action(world, client, plan):
    action = make_action(world, plan, days(7))
    client.force_login(world.chair)
    assert patch(client, action_url(action), {"version": 1, "status": "done"}).status_code == 200
    response = patch(client, action_url(action), {"version": 2, "status": "open"})
    assert response.status_code == 200, response.content
    stored = PlanAction.objects.get(pk=action.pk)
    assert (stored.status, stored.completed_at, stored.version) == ("open", None, 3)


# --- My actions ----------------------------------------------------------------------------


def _second_case_file(world: World) -> CaseFile:
    return concern_register(
        actor=world.school_member,
        forum=world.forum,
        identity=IdentityInput(name="Anden Person", birth_date=datetime.date(2012, 2, 2)),
        categories=["haervaerk"],
        description="Endnu en bekymring",
        source_agency=world.school,
        necessity=NECESSITY,
    ).concern.case_file


def my_action_ids(client: Any, query: str = "") -> list[int]:
    response = client.get(f"/api/v1/my/actions/{query}")
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_my_actions_lists_only_my_open_actions_soonest_first(world, client, plan):
    later = make_action(world, plan, days(10))
    soonest = make_action(world, plan, days(-2))  # overdue, still open
    middle = make_action(world, plan, days(3))
    done = make_action(world, plan, days(1))
    done.status, done.completed_at = PlanAction.Status.DONE, timezone.now()
    done.save()
    cancelled = make_action(world, plan, days(2))
    cancelled.status = PlanAction.Status.CANCELLED
    cancelled.save()
    someone_else = make_action(world, plan, days(0), owner=world.police_member)

    client.force_login(world.school_member)
    assert my_action_ids(client) == [soonest.pk, middle.pk, later.pk]

    client.force_login(world.police_member)
    assert my_action_ids(client) == [someone_else.pk]


def test_my_actions_due_before_filters(world, client, plan):
    near = make_action(world, plan, days(1))
    far = make_action(world, plan, days(20))
    client.force_login(world.school_member)

    assert my_action_ids(client, f"?due_before={days(5)}") == [near.pk]
    assert my_action_ids(client, f"?due_before={days(30)}") == [near.pk, far.pk]
    assert my_action_ids(client, f"?due_before={days(-1)}") == []
    assert far.pk not in my_action_ids(client, f"?due_before={days(20)}")


def test_my_actions_bad_date_is_400(world, client):
    client.force_login(world.school_member)
    response = client.get("/api/v1/my/actions/?due_before=i-morgen")
    assert response.status_code == 400, response.content
    assert "due_before" in response.json()["errors"]


def test_a_closed_case_file_s_actions_disappear_from_my_actions(world, client, plan):
    mine = make_action(world, plan, days(4))
    other_file = _second_case_file(world)
    other_plan = plan_save(actor=world.coordinator, case_file=other_file, goals="Andre mål")
    on_closed = make_action(world, other_plan, days(1))
    client.force_login(world.school_member)
    assert my_action_ids(client) == [on_closed.pk, mine.pk]

    casefile_update(actor=world.coordinator, case_file=other_file, closed_reason="Afsluttet")

    assert my_action_ids(client) == [mine.pk]
    assert PlanAction.objects.get(pk=on_closed.pk).status == "open"  # still open, just gone


def test_an_ended_membership_hides_my_actions(world, client, plan):
    make_action(world, plan, days(4))
    Membership.objects.filter(user=world.school_member, forum=world.forum).update(valid_to=today())
    client.force_login(world.school_member)
    assert my_action_ids(client) == []


# --- Two requests at the same moment -------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_coordinators_creating_the_plan_at_once_never_get_500(world):
    """Both open the case file without a plan and press save: one plan is created, the other
    request is told of the conflict (409, or 400), never a 500 (api.md: never 500)."""
    first_client, second_client = Client(), Client(raise_request_exception=False)
    first_client.force_login(world.coordinator)
    second_client.force_login(world.chair)

    first, second = race(
        lambda: post(first_client, plan_url(world.case_file), {"goals": GOALS}),
        lambda: post(second_client, plan_url(world.case_file), {"goals": NEW_GOALS}),
    )

    assert first.status_code == 201, first.content
    assert second.status_code in (400, 409), (second.status_code, second.content)
    assert Plan.objects.get(case_file=world.case_file).goals == GOALS
