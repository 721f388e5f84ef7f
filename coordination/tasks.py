from celery import shared_task

from coordination import reminders


@shared_task
def send_due_reminders() -> int:
    """The daily sweep (beat). Idempotent: running it twice sends nothing twice."""
    return len(reminders.sweep()) + len(reminders.release_sweep())


@shared_task
def send_weekly_digests() -> int:
    """Monday morning (beat): one digest per user with open actions, once per week."""
    return reminders.digest_sweep()
