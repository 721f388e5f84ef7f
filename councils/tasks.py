from celery import shared_task

from councils import statistics


@shared_task
def freeze_statistics() -> int:
    """Nightly (beat, before retention): release every ended quarter and year not yet
    released. Idempotent: a release exists once, so a doubled or lost run costs nothing."""
    return statistics.freeze_all()
