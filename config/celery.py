"""The Celery app.

PostgreSQL is the outbox and Redis only the messenger (architecture.md): periodic sweeps find
due work in the database, so a lost message costs a delay, never a reminder. The policy below
is fixed in code because it is part of that design, not a deployment choice; only the broker
comes from the environment (settings ``CELERY_*``).
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from celery import Celery
from celery.schedules import crontab
from django.conf import settings
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tvaers", task_cls="core.tasks:SystemActorTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    # Task arguments are ids: JSON only, never pickle.
    task_serializer="json",
    accept_content=["json"],
    result_serializer="json",
    task_ignore_result=True,
    # A task is acknowledged after it ran, and redelivered if its worker dies mid-way; tasks
    # are idempotent so a second run is harmless.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    timezone="Europe/Copenhagen",
    enable_utc=True,
    # Signing audit checkpoints needs AUDIT_SIGNING_KEY, which only beat holds: that task goes
    # to the "audit" queue, consumed by beat's embedded worker (`-Q audit`); the workers
    # without the key consume "celery" only (`-Q celery`, docker-compose.yml). A worker started
    # without -Q (`make run`, tests) consumes both.
    task_default_queue="celery",
    task_queues=[Queue(name, Exchange(name), routing_key=name) for name in ("celery", "audit")],
    task_routes={"audit.tasks.record_checkpoints": {"queue": "audit"}},
)


def beat_schedule() -> dict[str, dict[str, Any]]:
    """The periodic tasks. Built when Celery reads its configuration, not when this module is
    imported: it reads settings, and ``python -m config.keys`` imports this package before any
    configuration exists (issue 14)."""
    return {
        # Chains the access events written since the last run (audit.services): a read takes
        # its place in the chain within seconds. Expires so a stopped worker finds no backlog
        # of runs, only of rows (one run chains them all).
        "audit-sequence": {
            "task": "audit.tasks.sequence_access_events",
            "schedule": timedelta(seconds=settings.AUDIT_SEQUENCE_SECONDS),
            "options": {"expires": 30},
        },
        "worker-heartbeat": {
            "task": "core.tasks.record_worker_heartbeat",
            "schedule": crontab(minute="*"),
        },
        "reminder-sweep": {
            "task": "coordination.tasks.send_due_reminders",
            "schedule": crontab(
                hour=settings.REMINDER_SWEEP_HOUR, minute=settings.REMINDER_SWEEP_MINUTE
            ),
        },
        "weekly-digest": {
            "task": "coordination.tasks.send_weekly_digests",
            "schedule": crontab(
                day_of_week="mon",
                hour=settings.REMINDER_SWEEP_HOUR,
                minute=settings.REMINDER_SWEEP_MINUTE,
            ),
        },
        "audit-checkpoints": {
            "task": "audit.tasks.record_checkpoints",
            "schedule": crontab(minute="7"),
            "options": {"queue": "audit"},
        },
        # Signs a cut before it prunes: on the signer only, like the checkpoints.
        "audit-prune": {
            "task": "audit.tasks.prune_audit",
            "schedule": crontab(hour="3", minute="17"),
            "options": {"queue": "audit"},
        },
        # Freezes the statistics of the quarter (and year) that ended, before the retention
        # run that follows can delete what they count (councils.statistics).
        "statistics-freeze": {
            "task": "councils.tasks.freeze_statistics",
            "schedule": crontab(hour="1", minute="45"),
        },
        "retention": {
            "task": "persons.tasks.apply_retention",
            "schedule": crontab(hour="2", minute="30"),
        },
        "person-grant-sweep": {
            "task": "persons.tasks.expire_person_grants",
            "schedule": crontab(minute="*/15"),
        },
    }


@app.on_after_configure.connect
def _install_beat_schedule(sender: Celery, source: Any, **kwargs: Any) -> None:
    source.beat_schedule = beat_schedule()


app.autodiscover_tasks()
