from celery import shared_task

from coordination import reminders


@shared_task
def send_due_reminders() -> int:
    """The daily sweep (beat). Idempotent: running it twice sends nothing twice."""
    return len(reminders.sweep())
