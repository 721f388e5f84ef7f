from celery import shared_task

from coordination import reminders


@shared_task
def send_due_reminders() -> int:
    """The daily sweep (beat), to current members only. Idempotent: running it twice sends
    nothing twice."""
    return len(reminders.sweep()) + len(reminders.release_sweep())


@shared_task
def send_weekly_digests() -> int:
    """Monday morning (beat): one digest per user with open actions in a forum they are
    still a member of, once per week."""
    return reminders.digest_sweep()
