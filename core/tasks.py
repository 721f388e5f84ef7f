from typing import Any

from celery import shared_task

from core import services


@shared_task(bind=True)
def record_worker_heartbeat(self: Any) -> None:
    services.worker_heartbeat_record(hostname=self.request.hostname or "unknown")
