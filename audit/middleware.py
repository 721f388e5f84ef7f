"""Writes the access events a request recorded, once, before its answer leaves.

A page may record several reads (the person, their concerns, notes, grants); collected here
they cost two statements per request (events, subjects) instead of several each, and none of
them takes the chain's lock: the sequencer chains them shortly after (audit.services).

If the write fails, the answer is replaced by a 503: a read that cannot be recorded is never
served. Placed right after core.request_context's middleware, so each event still carries the
request's id, address and purpose."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from audit.services import buffered_reads, flush_reads

logger = logging.getLogger("tvaers.audit")


class AuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with buffered_reads() as reads:
            response = self.get_response(request)
            try:
                flush_reads(reads)
            except Exception:
                # The content must not leave unrecorded. The log names no person, no content.
                logger.exception("audit write failed; the answer was withheld")
                return _refusal(request)
        return response


def _refusal(request: HttpRequest) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        message = _("Adgangen kunne ikke registreres i logningen. Prøv igen om lidt.")
        return JsonResponse({"detail": message}, status=503)
    return HttpResponse(render_to_string("audit/unrecorded.html", request=request), status=503)
