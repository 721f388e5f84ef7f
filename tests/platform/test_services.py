"""The platform is real: PostgreSQL, Redis and a Celery worker, not stand-ins."""

from __future__ import annotations

import time

import pytest
from django.db import connection

from accounts.models import Agency, User
from config.celery import app
from core.models import WorkerHeartbeat
from core.tasks import record_worker_heartbeat
from tests.factories import AgencyFactory, UserFactory


@pytest.mark.django_db
def test_model_round_trip_on_postgresql():
    assert connection.vendor == "postgresql"
    agency = AgencyFactory.create(name="Fyns Politi", kind=Agency.Kind.POLITI)
    UserFactory(email="Æble.Øster@Politi.DK", full_name="Åse Ærø", agency=agency)

    stored = User.objects.select_related("agency__municipality").get(full_name="Åse Ærø")

    assert stored.email == "æble.øster@politi.dk"
    assert stored.agency is not None
    assert (stored.agency.name, stored.agency.kind) == ("Fyns Politi", "politi")
    assert stored.agency.municipality_id == agency.municipality_id


def test_beat_schedule_names_only_registered_tasks():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert scheduled
    assert scheduled <= set(app.tasks)


def test_celery_policy_is_json_and_late_ack():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.broker_url.startswith("redis://")


@pytest.mark.django_db(transaction=True)
def test_task_sent_through_redis_runs_in_real_worker(celery_worker_process):
    assert not WorkerHeartbeat.objects.exists()

    record_worker_heartbeat.delay()

    deadline = time.monotonic() + 30
    while not WorkerHeartbeat.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    heartbeat = WorkerHeartbeat.objects.get()
    assert heartbeat.hostname.startswith("test-worker@")
    assert celery_worker_process.poll() is None
