from celery import shared_task

from audit.services import checkpoint_record
from audit.verify import CHAINS

# record_checkpoints is routed to this queue (config/celery.py), consumed only by the process
# holding AUDIT_SIGNING_KEY (docker-compose: beat's embedded worker, `-Q audit`).
AUDIT_QUEUE = "audit"


@shared_task
def record_checkpoints() -> None:
    """Sign the head of each audit chain (beat, hourly, on the signer only)."""
    for model in CHAINS:
        checkpoint_record(model.CHAIN)
