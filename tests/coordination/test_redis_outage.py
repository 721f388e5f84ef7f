"""Redis down while the forum works: nothing fails for the user, and the reminders go out once
Redis is back (PostgreSQL is the outbox; Redis only carries the sweep's message)."""

from __future__ import annotations

import datetime
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.utils import timezone

from config.celery import app
from coordination.models import ReminderSent
from coordination.plans import action_create, plan_save
from coordination.tasks import send_due_reminders

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_redis(port: int, workdir: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("redis-server did not start")


@pytest.mark.django_db(transaction=True)
def test_actions_made_while_redis_is_down_are_reminded_when_it_returns(
    world, client, child_env, tmp_path
):
    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    redis = start_redis(port, tmp_path)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--hostname=outage@%h",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env={**child_env, "CELERY_BROKER_URL": broker},
    )
    try:
        redis.terminate()
        redis.wait(timeout=10)

        # The forum goes on working: a plan and an action through the API, Redis down.
        plan = plan_save(actor=world.coordinator, case_file=world.case_file, goals="Mål")
        client.force_login(world.coordinator)
        due = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
        response = client.post(
            f"/api/v1/plans/{plan.pk}/actions/",
            {
                "description": "Ring til skolen",
                "responsible_agency": world.school.pk,
                "owner": world.school_member.pk,
                "due_date": due,
            },
            content_type="application/json",
        )
        assert response.status_code == 201
        assert not ReminderSent.objects.exists()

        redis = start_redis(port, tmp_path)
        with app.connection_for_write(broker) as connection:
            send_due_reminders.apply_async(connection=connection)  # type: ignore[call-arg]  # celery-types lacks it
        deadline = time.monotonic() + 60
        while not ReminderSent.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert list(ReminderSent.objects.values_list("kind", flat=True)) == ["before"]
        assert worker.poll() is None, "the worker died while Redis was away"
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        redis.terminate()
        redis.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_beat_drives_the_sweep_in_a_real_worker(world, child_env, tmp_path):
    """A worker with embedded beat and the sweep scheduled every minute: the reminder goes out
    without anyone sending a task."""
    plan = plan_save(actor=world.coordinator, case_file=world.case_file, goals="Mål")
    action_create(
        actor=world.coordinator,
        plan=plan,
        description="Ring til skolen",
        responsible_agency=world.school,
        owner=world.school_member,
        due_date=timezone.localdate() + datetime.timedelta(days=1),
    )
    schedule = tmp_path / "celerybeat-schedule"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-B",
            f"--schedule={schedule}",
            "--pool=solo",
            "--hostname=beat@%h",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env={**child_env, "REMINDER_SWEEP_HOUR": "*", "REMINDER_SWEEP_MINUTE": "*"},
    )
    try:
        deadline = time.monotonic() + 100  # the next minute boundary, plus start-up
        while not ReminderSent.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert list(ReminderSent.objects.values_list("kind", flat=True)) == ["before"]
    finally:
        worker.terminate()
        worker.wait(timeout=30)
