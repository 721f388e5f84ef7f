"""An invited guest's access ends when the case file closes, not only at the invitation's
expiry: on every route a guest can read (pages and API), through the restrict() rules."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.urls import reverse
from django.utils import timezone

from coordination.meetings import guest_invite
from coordination.models import AgendaItem, ForumSession, Plan, PlanAction
from coordination.plans import action_create, plan_save
from core.permissions import visible_to
from persons.services import casefile_update
from tests.factories import UserFactory
from tests.world import NECESSITY, World

pytestmark = pytest.mark.django_db

GOALS = "Mål som gæsten må se"

# What a guest reads while invited: the item (page and shared screen) and the plan's actions.
GUEST_READS: dict[str, Callable[[World, AgendaItem, Plan], str]] = {
    "item page": lambda w, item, plan: reverse("coordination:item-detail", args=[item.pk]),
    "presenter": lambda w, item, plan: reverse("coordination:item-presenter", args=[item.pk]),
    "plan actions api": lambda w, item, plan: reverse("api:plan-actions", args=[plan.pk]),
}
# Never the guest's, open or closed: the plan page and the plan endpoint of the case file.
NEVER: dict[str, Callable[[World, AgendaItem, Plan], str]] = {
    "plan page": lambda w, item, plan: reverse("coordination:plan", args=[w.case_file.pk]),
    "case-file plan api": lambda w, item, plan: reverse(
        "api:case-file-plan", args=[w.case_file.pk]
    ),
}


@pytest.fixture
def invited(world):
    session = ForumSession.objects.create(
        forum=world.forum,
        starts_at=timezone.now() + datetime.timedelta(days=1),
        created_by=world.coordinator,
    )
    item = AgendaItem(session=session, case_file=world.case_file, kind="new", order=1)
    item.save()
    plan = plan_save(actor=world.coordinator, case_file=world.case_file, goals=GOALS)
    action_create(
        actor=world.coordinator,
        plan=plan,
        description="Skolen taler med forældrene",
        responsible_agency=world.school,
        owner=world.school_member,
        due_date=timezone.localdate() + datetime.timedelta(days=14),
    )
    teacher = UserFactory.create(
        full_name="Klara Klasselærer", agency=world.school, roles=["member"]
    )
    guest_invite(actor=world.chair, item=item, email=teacher.email, necessity=NECESSITY)
    return item, plan, teacher


def statuses(client, world, item, plan, routes) -> dict[str, int]:
    return {name: client.get(url(world, item, plan)).status_code for name, url in routes.items()}


def test_guest_reads_item_and_plan_actions_until_the_case_file_closes(world, invited, client):
    item, plan, teacher = invited
    client.force_login(teacher)
    before = client.get(reverse("api:plan-actions", args=[plan.pk]))
    assert before.status_code == 200
    assert len(before.json()["results"]) == 1
    assert statuses(client, world, item, plan, GUEST_READS) == dict.fromkeys(GUEST_READS, 200)
    assert statuses(client, world, item, plan, NEVER) == dict.fromkeys(NEVER, 404)

    casefile_update(actor=world.coordinator, case_file=world.case_file, closed_reason="Afsluttet")

    assert statuses(client, world, item, plan, GUEST_READS) == dict.fromkeys(GUEST_READS, 404)
    assert statuses(client, world, item, plan, NEVER) == dict.fromkeys(NEVER, 404)


def test_the_restrict_rules_drop_a_closed_case_file_for_the_guest(world, invited):
    item, _plan, teacher = invited
    for model in (AgendaItem, Plan, PlanAction):
        assert visible_to(teacher, model.objects.all()).exists(), model.__name__

    casefile_update(actor=world.coordinator, case_file=world.case_file, closed_reason="Afsluttet")

    for model in (AgendaItem, Plan, PlanAction):
        assert not visible_to(teacher, model.objects.all()).exists(), model.__name__
    # the invitation itself is untouched: it is the rule that ends access, not a cleanup job
    assert item.guests.filter(user=teacher, valid_until__gte=timezone.localdate()).exists()


def test_a_member_is_not_shown_an_item_twice_through_a_guest_row(world, invited):
    """The guest rule is a subquery now, so a member who is also listed as a guest elsewhere
    sees each item once (the former join needed distinct())."""
    item, _plan, teacher = invited
    assert list(visible_to(world.chair, AgendaItem.objects.all())) == [item]
    assert list(visible_to(teacher, AgendaItem.objects.all())) == [item]
