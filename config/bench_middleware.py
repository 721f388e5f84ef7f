"""Middleware for `make bench` only (config.settings_bench); production settings never list it.

``QueryCountMiddleware`` answers each request's SQL statement count in ``X-Bench-Queries``, so
the harness reads the query budget of a page over real HTTP. ``DiscardAuditMiddleware`` makes
the requests below ``NO_AUDIT_PREFIX`` run the same view with their access events thrown away:
the harness compares that against the audited page to price the audit write alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse

from audit.services import buffered_reads

QUERY_HEADER = "X-Bench-Queries"
NO_AUDIT_PREFIX = "/bench/uden-audit/"

Execute = Callable[[str, Any, bool, dict[str, Any]], Any]


class QueryCountMiddleware:
    """First in the chain, so session, authentication and the audit flush are counted too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        count = 0

        def counting(execute: Execute, sql: str, params: Any, many: bool, context: Any) -> Any:
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counting):
            response = self.get_response(request)
        response[QUERY_HEADER] = str(count)
        return response


class DiscardAuditMiddleware:
    """Inside audit's own middleware: the view's reads go to a nested buffer that is dropped
    instead of flushed, so the outer one has nothing to write (no audit statement at all).
    What access_record computes before buffering (the event's fields) is still paid."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(NO_AUDIT_PREFIX):
            return self.get_response(request)
        with buffered_reads() as reads:
            response = self.get_response(request)
            reads.clear()
        return response
