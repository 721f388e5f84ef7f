"""A worker killed in the middle of the reminder sweep loses no reminder and sends none twice.

Real processes: worker A takes the sweep and is killed with SIGKILL mid-way; the message was
not acknowledged (acks_late), so Redis hands it to worker B after the visibility timeout; B
sweeps again and the unique ReminderSent records keep what A already sent from being resent.
"""

from __future__ import annotations

import datetime
import os
import signal

import pytest
from django.utils import timezone

from coordination.models import PlanAction, ReminderSent
from coordination.plans import action_create, plan_save
from coordination.tasks import send_due_reminders
from core.models import Notification
from tests.workers import start_worker, wait_for

QUEUE = "killtest"  # apart from the session worker's queue
ACTIONS = 400


@pytest.mark.django_db(transaction=True)
def test_killed_worker_loses_no_reminder_and_sends_none_twice(world, child_env):
    plan = plan_save(actor=world.coordinator, case_file=world.case_file, goals="Mål")
    due = timezone.localdate() + datetime.timedelta(days=2)  # a "before" reminder is due today
    for n in range(ACTIONS):
        action_create(
            actor=world.coordinator,
            plan=plan,
            description=f"Handling {n}",
            responsible_agency=world.school,
            owner=world.school_member,
            due_date=due,
        )
    worker_a = start_worker(child_env, "killed", QUEUE)
    worker_b = None
    try:
        send_due_reminders.apply_async(queue=QUEUE)
        assert wait_for(lambda: ReminderSent.objects.count() >= 5, 60), (
            "worker A never started the sweep"
        )
        os.kill(worker_a.pid, signal.SIGKILL)
        worker_a.wait(timeout=10)
        sent_when_killed = ReminderSent.objects.count()
        assert sent_when_killed < ACTIONS, "the sweep finished before the kill; nothing was tested"

        worker_b = start_worker(child_env, "survivor", QUEUE)
        assert wait_for(lambda: ReminderSent.objects.count() == ACTIONS, 120), (
            f"only {ReminderSent.objects.count()} of {ACTIONS} reminders after the redelivery"
        )
    finally:
        for process in (worker_a, worker_b):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)

    per_action = set(ReminderSent.objects.values_list("action_id", "kind"))
    assert len(per_action) == ACTIONS
    assert per_action == {(pk, "before") for pk in PlanAction.objects.values_list("pk", flat=True)}
    assert (
        Notification.objects.filter(recipient=world.school_member, kind="reminder_before").count()
        == ACTIONS
    )
