from typing import TYPE_CHECKING, Any

from auditlog.context import set_actor
from celery import Task, shared_task
from django.contrib.auth import get_user_model

from core import services

SYSTEM_EMAIL = "system@tvaers.invalid"  # created by accounts' migration 0003


if TYPE_CHECKING:
    _Task = Task[Any, Any]
else:
    _Task = Task


class SystemActorTask(_Task):
    """Every task acts as the system user, so changes it makes are attributed in the change
    log (django-auditlog) like a request's are to its user."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        system = get_user_model().objects.filter(email=SYSTEM_EMAIL).first()
        with set_actor(system):
            return super().__call__(*args, **kwargs)


@shared_task(bind=True)
def record_worker_heartbeat(self: Any) -> None:
    services.worker_heartbeat_record(hostname=self.request.hostname or "unknown")
