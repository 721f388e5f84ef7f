"""Reminders through the real machinery: the task sent through Redis to real Celery worker
processes on the test database. Repeated and concurrent sweeps send each reminder once;
creating actions sends nothing (PostgreSQL is the outbox, only a sweep delivers); beat runs
the sweep each morning."""

from __future__ import annotations

import datetime
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from celery.app.base import Celery
from celery.app.task import Task
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User
from config.celery import app
from coordination import reminders
from coordination.models import Plan, PlanAction, ReminderSent
from coordination.plans import action_create, plan_save
from coordination.tasks import send_due_reminders
from core.models import Notification
from persons.models import CaseFile
from persons.services import IdentityInput, concern_register
from tests.world import NECESSITY, World, build_world

ROOT = Path(__file__).resolve().parents[2]
ROLE_NAMES = ["coordinator", "member", "dpo", "admin", "council"]
TASK = "coordination.tasks.send_due_reminders"
# Days from today → the reminders due today (REMINDER_DAYS_BEFORE=3, ESCALATE_AFTER_DAYS=3).
OFFSETS = [2, 0, -1, -3, 5]


@pytest.fixture
def world(transactional_db) -> World:
    """The suite's world, on committed data the workers can see. Earlier transactional tests
    flush the role groups the migrations created, so they are put back first."""
    for name in ROLE_NAMES:
        Group.objects.get_or_create(name=name)
    return build_world()


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.2)


def today() -> datetime.date:
    return timezone.localdate()


def new_case_file(world: World, name: str) -> CaseFile:
    return concern_register(
        actor=world.school_member,
        forum=world.forum,
        identity=IdentityInput(name=name, birth_date=datetime.date(2012, 3, 3)),
        categories=["haervaerk"],
        description="Bekymring til påmindelsestest",
        source_agency=world.school,
        necessity=NECESSITY,
    ).concern.case_file


def add_actions(world: World, plan: Plan, owners: list[User]) -> list[PlanAction]:
    created = []
    for index, offset in enumerate(OFFSETS):
        owner = owners[index % len(owners)]
        assert owner.agency is not None
        created.append(
            action_create(
                actor=world.coordinator,
                plan=plan,
                description=f"Handling {index}",
                responsible_agency=owner.agency,
                owner=owner,
                due_date=today() + datetime.timedelta(days=offset),
            )
        )
    return created


def expected(world: World, actions: list[PlanAction]) -> tuple[set[Any], Counter[Any]]:
    """(action, kind) pairs due today, and notifications per (recipient, kind)."""
    pairs: set[tuple[int, str]] = set()
    notes: Counter[tuple[int, str]] = Counter()
    for action in actions:
        for kind in reminders.kinds_due(action, today()):
            pairs.add((action.pk, kind))
            recipient = world.chair if kind == ReminderSent.Kind.ESCALATED else action.owner
            notes[(recipient.pk, f"reminder_{kind}")] += 1
    return pairs, notes


def sent_pairs() -> list[tuple[int, str]]:
    return list(ReminderSent.objects.values_list("action_id", "kind"))


def notification_counts() -> Counter[tuple[int, str]]:
    return Counter(
        Notification.objects.filter(kind__startswith="reminder_").values_list(
            "recipient_id", "kind"
        )
    )


def ping() -> set[str]:
    return {name for reply in app.control.ping(timeout=1.0) or [] for name in reply}


def sweeps_started() -> dict[str, int]:
    stats = app.control.inspect(timeout=1.0).stats() or {}
    return {host: int(info.get("total", {}).get(TASK, 0)) for host, info in stats.items()}


def busy() -> bool:
    active = app.control.inspect(timeout=1.0).active() or {}
    reserved = app.control.inspect(timeout=1.0).reserved() or {}
    return any(active.values()) or any(reserved.values())


def wait_for_sweeps(before: dict[str, int], count: int, seconds: float = 60) -> dict[str, int]:
    """Until ``count`` more sweeps have started in all workers together and none is running."""
    result: dict[str, int] = {}

    def finished() -> bool:
        nonlocal result
        now = sweeps_started()
        result = {host: now.get(host, 0) - before.get(host, 0) for host in now}
        return sum(result.values()) >= count and not busy()

    wait_until(finished, f"{count} sweeps to run", seconds)
    return result


@pytest.fixture
def due_actions(world) -> list[PlanAction]:
    plan = plan_save(actor=world.coordinator, case_file=world.case_file, goals="Mål")
    return add_actions(world, plan, [world.school_member, world.police_member])


# --- One worker, the task sent twice ------------------------------------------------------


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_task_sent_twice_sends_each_reminder_once(world, due_actions, celery_worker_process):
    pairs, notes = expected(world, due_actions)
    assert {kind for _, kind in pairs} == {"before", "due", "overdue", "escalated"}
    assert not ReminderSent.objects.exists()
    before = sweeps_started()

    send_due_reminders.delay()
    send_due_reminders.delay()

    wait_until(lambda: len(sent_pairs()) >= len(pairs), "the reminders to be recorded")
    ran = wait_for_sweeps(before, 2)
    assert sum(ran.values()) == 2
    assert sorted(sent_pairs()) == sorted(pairs)  # each (action, kind) exactly once
    assert notification_counts() == notes
    assert all(r.due_date == r.action.due_date for r in ReminderSent.objects.all())
    assert celery_worker_process.poll() is None


# --- Two workers sweeping at once ------------------------------------------------------------


@pytest.fixture
def second_worker(celery_worker_process, child_env, tmp_path) -> Iterator[str]:
    """Another worker process like the suite's, under its own hostname."""
    known = ping()
    log = (tmp_path / "worker-2.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--hostname=test-worker-2@%h",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=child_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            new = {name for name in ping() - known if name.startswith("test-worker-2@")}
            if new:
                break
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (tmp_path / "worker-2.log").read_text(errors="replace")[-3000:]
                pytest.fail(f"the second Celery worker did not start:\n{tail}")
            time.sleep(0.2)
        yield new.pop()
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_concurrently_send_each_reminder_once(
    world, celery_worker_process, second_worker
):
    actions: list[PlanAction] = []
    owners = [world.school_member, world.police_member, world.coordinator]
    for n in range(4):
        case_file = world.case_file if n == 0 else new_case_file(world, f"Person Nummer{n}")
        plan = plan_save(actor=world.coordinator, case_file=case_file, goals=f"Mål {n}")
        for _round in range(3):
            actions += add_actions(world, plan, owners)
    pairs, notes = expected(world, actions)
    assert len(pairs) > 40
    hosts = ping()
    assert second_worker in hosts
    assert any(host.startswith("test-worker@") for host in hosts)
    before = sweeps_started()

    for _ in range(8):  # both workers pick sweeps off the queue at once
        send_due_reminders.delay()

    wait_until(lambda: len(sent_pairs()) >= len(pairs), "the reminders to be recorded", 60)
    ran = wait_for_sweeps(before, 8)
    assert sum(ran.values()) == 8
    assert ran.get(second_worker, 0) >= 1, ran  # the second worker really swept
    assert sum(n for host, n in ran.items() if host != second_worker) >= 1, ran
    sent = sent_pairs()
    assert len(sent) == len(set(sent)), "a reminder was recorded twice"
    assert set(sent) == pairs
    assert notification_counts() == notes
    assert celery_worker_process.poll() is None


# --- Creating actions sends nothing; only the sweep does ----------------------------------


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_creating_actions_never_publishes_and_only_the_sweep_sends(
    world, client, celery_worker_process, monkeypatch
):
    published: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        published.append((args, kwargs))
        raise ConnectionError("Redis is down")

    # As if Redis were stopped: any attempt to publish a message fails loudly.
    monkeypatch.setattr(Celery, "send_task", refuse)
    monkeypatch.setattr(Task, "apply_async", refuse)

    client.force_login(world.coordinator)
    response = client.post(
        f"/api/v1/case-files/{world.case_file.pk}/plan/",
        {"goals": "Mål for trivsel"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    plan_id = response.json()["id"]
    for offset, owner in ((0, world.school_member), (-3, world.police_member)):
        response = client.post(
            f"/api/v1/plans/{plan_id}/actions/",
            {
                "description": "Tag kontakt til familien",
                "responsible_agency": owner.agency_id,
                "owner": owner.pk,
                "due_date": str(today() + datetime.timedelta(days=offset)),
            },
            content_type="application/json",
        )
        assert response.status_code == 201, response.content
    plan = Plan.objects.get(pk=plan_id)
    service_action = add_actions(world, plan, [world.coordinator])[0]  # and via the services
    assert published == []
    monkeypatch.undo()

    # The worker is running, but nothing was sent: no sweep, no reminder.
    time.sleep(2)
    assert not ReminderSent.objects.exists()
    assert not Notification.objects.filter(kind__startswith="reminder_").exists()

    actions = list(PlanAction.objects.filter(plan=plan).select_related("owner"))
    assert service_action.pk in {a.pk for a in actions}
    pairs, notes = expected(world, actions)
    before = sweeps_started()
    send_due_reminders.delay()
    wait_until(lambda: len(sent_pairs()) >= len(pairs), "the sweep to send the reminders")
    wait_for_sweeps(before, 1)
    assert sorted(sent_pairs()) == sorted(pairs)
    assert notification_counts() == notes


# --- Beat -------------------------------------------------------------------------------------


def test_beat_runs_the_reminder_sweep_every_morning_at_seven():
    entry = app.conf.beat_schedule["reminder-sweep"]
    assert entry["task"] == TASK
    schedule = entry["schedule"]
    assert settings.REMINDER_SWEEP_HOUR == "7"
    assert schedule.hour == {7}
    assert schedule.minute == {0}
    assert schedule.day_of_week == set(range(7))
    assert schedule.day_of_month == set(range(1, 32))
    assert str(app.conf.timezone) == "Europe/Copenhagen"
    app.loader.import_default_modules()
    assert TASK in app.tasks
