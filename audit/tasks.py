from celery import shared_task

from audit.services import checkpoint_record
from audit.verify import CHAINS


@shared_task
def record_checkpoints() -> None:
    """Sign the head of each audit chain (beat, hourly)."""
    for model in CHAINS:
        checkpoint_record(model.CHAIN)
