from celery import shared_task

from persons import retention, services


@shared_task
def expire_person_grants() -> int:
    """Every 15 minutes (beat): remove guardian rows of ended per-person grants. Access ends at
    expiry regardless; idempotent, so a lost or doubled run costs nothing."""
    return services.person_grants_expire()


@shared_task
def apply_retention() -> dict[str, int]:
    """Nightly (beat): delete the case files and persons that retention says are due. Each
    person in its own transaction, so a killed run leaves nobody half-deleted and the next
    run finishes the rest."""
    run = retention.apply_retention()
    return {"case_files": run.deleted_case_files, "persons": run.deleted_persons}
