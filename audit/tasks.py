from celery import shared_task

from audit import retention
from audit.services import checkpoint_record, sequence_all
from audit.verify import CHAINS

# record_checkpoints is routed to this queue (config/celery.py), consumed only by the process
# holding AUDIT_SIGNING_KEY (docker-compose: beat's embedded worker, `-Q audit`).
AUDIT_QUEUE = "audit"


@shared_task
def record_checkpoints() -> None:
    """Sign the head of each audit chain (beat, hourly, on the signer only)."""
    for model in CHAINS:
        checkpoint_record(model.CHAIN)


@shared_task
def prune_audit() -> dict[str, int]:
    """Delete expired access events, disclosures and change-log rows behind a signed cut
    (beat, daily, on the signer only: queue "audit"). Idempotent."""
    return retention.prune()


@shared_task(ignore_result=True)
def sequence_access_events() -> int:
    """Chain the pending access events (beat, every AUDIT_SEQUENCE_SECONDS, on any worker)."""
    return sequence_all()
