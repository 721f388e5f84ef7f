from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from core.services import notifications_for, worker_last_seen


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


# --- error pages (config/urls.py handler400/403/404/500) ----------------------------------
# Pages in Danish on the design system (templates/400.html ...), never a traceback; below
# /api/ the same errors stay JSON, as api.md promises. DRF answers its own errors
# (core.api.exception_handler); these catch what reaches Django: unknown API paths, CSRF
# and host errors, and any uncaught exception.

API_PREFIX = "/api/"


def _api_error(request: HttpRequest, status: int, detail: str) -> JsonResponse | None:
    if not request.path_info.startswith(API_PREFIX):
        return None
    return JsonResponse({"detail": detail}, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400: rendered without the request (no context processors): it may come from a
    middleware before the session and the user exist (a bad Host header)."""
    return _api_error(request, 400, _("Ugyldig forespørgsel.")) or HttpResponseBadRequest(
        loader.get_template("400.html").render()
    )


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _api_error(
        request, 403, _("Du har ikke adgang til dette.")
    ) or defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _api_error(request, 404, _("Findes ikke.")) or defaults.page_not_found(
        request, exception
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """500: no context processors, no database (500.html is self-contained)."""
    return _api_error(
        request, 500, _("Der opstod en fejl. Prøv igen, eller kontakt support.")
    ) or defaults.server_error(request)
