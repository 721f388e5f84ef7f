from typing import Any

from django.utils import timezone

from core.models import Notification, WorkerHeartbeat


def worker_heartbeat_record(*, hostname: str) -> WorkerHeartbeat:
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"seen_at": timezone.now()}
    )
    return heartbeat


def worker_last_seen() -> WorkerHeartbeat | None:
    return WorkerHeartbeat.objects.order_by("-seen_at").first()


def notifications_for(*, user: Any, limit: int = 100) -> list[Notification]:
    """The user's own notifications, newest first; viewing them marks them read."""
    notifications = list(Notification.objects.filter(recipient_id=user.pk or 0)[:limit])
    unread = [n.pk for n in notifications if n.read_at is None]
    if unread:
        # Only the user's own inbox flags; not audited content, so a bulk update is fine.
        Notification.objects.filter(pk__in=unread).update(read_at=timezone.now())
    return notifications
