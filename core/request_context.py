"""Per-request metadata for audit records (request id, client address), without passing the
request through every service. A context variable, so it is safe under threads and async.

The request id is always Tværs' own (uuid4 hex): a client cannot choose the id its requests are
audited under. A client's ``X-Request-ID`` is kept beside it, sanitised, for correlating logs.
The client address trusts ``X-Forwarded-For`` only as far as ``TRUSTED_PROXY_COUNT`` says."""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse


@dataclass(frozen=True)
class RequestMeta:
    request_id: str  # generated here, never the client's
    ip_address: str | None
    client_request_id: str = ""  # the client's X-Request-ID, sanitised; for logs only
    path: str = ""  # the path asked for: audit derives the purpose of a read from its route


_current: ContextVar[RequestMeta | None] = ContextVar("tvaers_request_meta", default=None)
_NOT_ID_CHARACTER = re.compile(r"[^A-Za-z0-9._-]")
CLIENT_REQUEST_ID_MAX = 64


def current() -> RequestMeta | None:
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def client_request_id(request: HttpRequest) -> str:
    """The client's X-Request-ID with anything but letters, digits and ``._-`` removed, at
    most 64 characters; "" when absent."""
    supplied = request.headers.get("X-Request-ID", "")
    return _NOT_ID_CHARACTER.sub("", supplied[: CLIENT_REQUEST_ID_MAX * 4])[:CLIENT_REQUEST_ID_MAX]


def _ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, the one place it is derived: audit rows, the login lockout
    (django-axes' AXES_CLIENT_IP_CALLABLE) and the API's per-address rate limits use it.

    With ``TRUSTED_PROXY_COUNT`` = 0 it is REMOTE_ADDR and X-Forwarded-For is ignored (any
    client can write it). With N trusted proxies, each appending the address it received the
    request from, it is the Nth address from the right of X-Forwarded-For: entries further left
    were written by the client and are not believed. A header shorter than N, or an entry that
    is no address, gives REMOTE_ADDR."""
    request = getattr(request, "_request", request)  # a DRF Request wraps the HttpRequest
    remote = _ip(request.META.get("REMOTE_ADDR") or "")
    count: int = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    if len(forwarded) < count:
        return remote
    return _ip(forwarded[-count]) or remote


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
            message = "Ugyldigt tegn i forespørgslen."
            if request.path_info.startswith("/api/"):  # api.md's error shape, as JSON
                errors = {"non_field_errors": [message]}
                return JsonResponse({"detail": message, "errors": errors}, status=400)
            return HttpResponseBadRequest(message)
        request_id = new_request_id()
        meta = RequestMeta(
            request_id, client_ip(request), client_request_id(request), request.path_info
        )
        token = _current.set(meta)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = request_id
        return response
