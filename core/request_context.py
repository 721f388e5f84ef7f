"""Per-request metadata for audit records (request id, client address), without passing the
request through every service. A context variable, so it is safe under threads and async."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest


@dataclass(frozen=True)
class RequestMeta:
    request_id: str
    ip_address: str | None


_current: ContextVar[RequestMeta | None] = ContextVar("tvaers_request_meta", default=None)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current() -> RequestMeta | None:
    return _current.get()


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(request: HttpRequest) -> bool:
    """A NUL in the query string or in a submitted form's fields (JSON: core.parsers)."""
    if "\x00" in request.META.get("QUERY_STRING", "") or any(
        "\x00" in value for values in request.GET.lists() for value in values[1]
    ):
        return True
    if request.method != "POST" or request.content_type not in FORM_TYPES:
        return False
    try:
        return any("\x00" in value for values in request.POST.lists() for value in values[1])
    except OSError:  # the client went away mid-upload; the view meets the same error
        return False


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            # PostgreSQL text cannot hold NUL: refuse here, once, instead of a 500 downstream.
            return HttpResponseBadRequest("Ugyldigt tegn i forespørgslen.")
        supplied = request.headers.get("X-Request-ID", "")
        request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex
        token = _current.set(RequestMeta(request_id, request.META.get("REMOTE_ADDR") or None))
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = request_id
        return response
