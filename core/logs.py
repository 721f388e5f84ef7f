"""Application logs: one line per request, and the request id on every line.

The request line names the route (the URL pattern, e.g. ``personer/<int:pk>/``, and the view
name), never the path or the query string: a search term (``?q=``) may be a name or a CPR
number, and paths may carry pseudonyms. With LOG_FORMAT=json (the production default) each
line is one JSON object (python-json-logger). Nothing here may touch the database or the
models: logging is configured before the apps are loaded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from core import request_context

request_logger = logging.getLogger("tvaers.request")


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (or "-") to every record, for the text and the JSON format."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            meta = request_context.current()
            record.request_id = meta.request_id if meta else "-"
        return True


def _user_id(request: HttpRequest) -> Any:
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


class RequestLogMiddleware:
    """Logs each request once, after the response: request id, user id, method, route, view,
    status and duration. Placed near the top of MIDDLEWARE, so the status is the final one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        match = getattr(request, "resolver_match", None)
        route = f"/{match.route}" if match is not None else None
        view = match.view_name if match is not None else None
        fields = {
            "request_id": response.get("X-Request-ID") or "-",
            "user_id": _user_id(request),
            "method": request.method,
            "route": route,
            "view": view,
            "status": response.status_code,
            "duration_ms": duration_ms,
        }
        if supplied := request_context.client_request_id(request):
            fields["client_request_id"] = supplied
        request_logger.info(
            "%s %s %s %sms",
            request.method,
            route or "(no route)",
            response.status_code,
            duration_ms,
            extra=fields,
        )
        return response
