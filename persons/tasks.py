from celery import shared_task

from persons import services


@shared_task
def expire_person_grants() -> int:
    """Every 15 minutes (beat): remove guardian rows of ended per-person grants. Access ends at
    expiry regardless; idempotent, so a lost or doubled run costs nothing."""
    return services.person_grants_expire()
