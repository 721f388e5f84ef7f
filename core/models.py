from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker ran its scheduled heartbeat.

    Written by the beat-driven task, read by the health check: it proves that beat, broker and
    worker all work, which a broker ping alone does not.
    """

    hostname = models.CharField(_("vært"), max_length=255, unique=True)
    seen_at = models.DateTimeField(_("senest set"))

    class Meta:
        verbose_name = _("worker-hjerteslag")
        verbose_name_plural = _("worker-hjerteslag")

    def __str__(self) -> str:
        return f"{self.hostname} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
