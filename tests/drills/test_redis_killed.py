"""Drill 1: Redis is killed while users create plan actions and reminders are due. PostgreSQL
is the outbox (coordination/reminders.py): the pages keep working, nothing is lost, and once
Redis is back the sweep sends each due reminder exactly once, however often it runs."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.models import User
from coordination import reminders
from coordination.models import Plan, PlanAction, ReminderSent
from core.models import Notification
from tests.drills.stack import Browser, Stack, say, wait_for

COORDINATOR = "koordinator@kk.demo.tvaers.dk"
OWNER = "skole@kk.demo.tvaers.dk"  # a member of SSP Nørrebro, owner of the drill's actions
SWEEP = "coordination.tasks.send_due_reminders"
WORKER = "redis-drill"


def demo_plan() -> Plan:
    """SSP Nørrebro's first plan (seed_demo)."""
    return Plan.objects.filter(case_file__forum__name="SSP Nørrebro").order_by("pk")[0]


def create_action(browser: Browser, plan: Plan, description: str) -> None:
    due = timezone.localdate() + datetime.timedelta(days=1)  # a "before" reminder is due today
    owner = User.objects.get(email=OWNER)
    path = f"/sager/{plan.case_file_id}/plan/"
    response = browser.post_form(
        path, {"description": description, "owner": owner.pk, "due_date": due.isoformat()}
    )
    assert response.status_code == 302, f"creating an action answered {response.status_code}"
    page = browser.get(path)
    assert page.status_code == 200 and description in page.text


def pages_answer(browser: Browser, plan: Plan) -> list[str]:
    paths = ["/", "/personer/", "/mine-opgaver/", f"/sager/{plan.case_file_id}/plan/"]
    for path in paths:
        status = browser.get(path).status_code
        assert 200 <= status < 400, f"{path} answered {status} with Redis down"
    return paths


def expected_deliveries() -> tuple[int, int]:
    """What the sweep has still to send today: (reminders, e-mails), from a dry run."""
    due = reminders.sweep(dry_run=True) + reminders.release_sweep(dry_run=True)
    return len(due), sum(len(reminder.recipient_ids) for reminder in due)


def test_redis_killed_while_actions_are_created_and_reminders_are_due(stack: Stack) -> None:
    stack.start_worker(WORKER)
    coordinator = stack.browser(COORDINATOR)
    plan = demo_plan()
    create_action(coordinator, plan, "Øvelse: handling fra før Redis faldt ud")
    say("one action due tomorrow created with Redis up: its reminder is due today")

    stack.kill_redis()
    say("Redis killed with SIGKILL")
    with pytest.raises(OperationalError):
        stack.publish(SWEEP)
    say("checked: beat's message for the reminder sweep cannot be sent (it is lost)")

    made_while_down = [f"Øvelse: handling {n} mens Redis er nede" for n in range(3)]
    for description in made_while_down:
        create_action(coordinator, plan, description)
    pages = pages_answer(coordinator, plan)
    say(
        f"checked: {len(made_while_down)} actions created through the plan page (302, then "
        f"shown on the plan), and {', '.join(pages)} answer 2xx/3xx, with Redis down"
    )
    ours = {
        action.pk
        for action in PlanAction.objects.filter(plan=plan)
        if action.description.startswith("Øvelse:")
    }
    assert len(ours) == 1 + len(made_while_down)
    assert not ReminderSent.objects.filter(action_id__in=ours).exists()
    say(f"checked: all {len(ours)} actions are in PostgreSQL, none reminded yet")

    stack.start_redis()
    say(f"Redis started again on port {stack.redis_port}")
    due, deliveries = expected_deliveries()
    mails_before, notices_before = len(stack.mails()), Notification.objects.count()
    # Beat's next tick, and the same message once more (a redelivery): the second run must
    # find everything sent already.
    for _ in range(2):
        stack.publish(SWEEP)
    assert wait_for(lambda: stack.succeeded(WORKER, SWEEP) >= 2, 60), (
        "the worker did not run the sweep twice after Redis came back"
    )
    assert stack.workers[WORKER].poll() is None, "the worker died while Redis was away"
    say("the worker reconnected by itself and ran the sweep twice")

    sent = list(ReminderSent.objects.filter(action_id__in=ours).values_list("action_id", "kind"))
    assert sorted(sent) == sorted((pk, ReminderSent.Kind.BEFORE) for pk in ours)
    new_mails = stack.mails()[mails_before:]
    assert len(new_mails) == deliveries, f"{len(new_mails)} e-mails for {deliveries} deliveries"
    assert Notification.objects.count() - notices_before == deliveries
    ours_mailed = [m for m in new_mails if m["To"] == OWNER]
    assert len(ours_mailed) >= len(ours)
    say(
        f"checked: each of our {len(ours)} actions reminded once ('before'); {due} reminders due "
        f"in all, {deliveries} e-mails and {deliveries} notifications, none twice"
    )


class OutageDefect(AssertionError):
    """A failure only Redis being down explains (any other failure fails the drill)."""


def test_the_api_keeps_working_with_redis_down(stack: Stack) -> None:
    coordinator = stack.browser("formand@kk.demo.tvaers.dk")
    due = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    owner = User.objects.get(email=OWNER)
    plan = demo_plan().pk

    def create(description: str) -> int:
        payload = {
            "description": description,
            "responsible_agency": owner.agency_id,
            "owner": owner.pk,
            "due_date": due,
        }
        return coordinator.post_json(f"/api/v1/plans/{plan}/actions/", payload).status_code

    assert create("Øvelse: handling gennem API'et, Redis oppe") == 201
    assert coordinator.get("/api/v1/my/actions/").status_code == 200
    say("the API creates an action and lists my actions with Redis up (201, 200)")
    stack.kill_redis()
    say("Redis killed with SIGKILL")
    try:
        created = create("Øvelse: handling gennem API'et, Redis nede")
        listed = coordinator.get("/api/v1/my/actions/").status_code
        say(f"API with Redis down: POST plans/{plan}/actions/ {created}, GET my/actions/ {listed}")
    finally:
        stack.start_redis()
        say(f"Redis started again on port {stack.redis_port}")
    if (created, listed) != (201, 200):
        raise OutageDefect(f"the API answered {created} and {listed} with Redis down")
