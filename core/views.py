from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from core.services import notifications_for, worker_last_seen


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "core/home.html"


class NotificationListView(LoginRequiredMixin, TemplateView):
    """The user's own inbox: pseudonyms and links only, so every role may see it."""

    template_name = "core/notifications.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "notifications": notifications_for(user=self.request.user),
        }


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and compose: the database answers; when the worker last ran.

    Public on purpose and free of anything but timestamps.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        heartbeat = worker_last_seen()
    except DatabaseError:
        return JsonResponse({"database": "unavailable"}, status=503)
    return JsonResponse(
        {
            "database": "ok",
            "worker_last_seen": heartbeat.seen_at.isoformat() if heartbeat else None,
        }
    )
