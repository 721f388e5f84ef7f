"""Settings for `make bench` (bench/run.py): production settings plus the harness's probes.

Only the harness sets DJANGO_SETTINGS_MODULE to this module. It adds the query counter
(first, so it sees every statement of a request), the audit-discarding hook for the bench's
no-audit person page (after the request context, where the audit buffer lives) and the
bench-only URLs (config.bench_urls)."""

from __future__ import annotations

from config.settings import *  # noqa: F403 - the production settings, extended below
from config.settings import MIDDLEWARE

ROOT_URLCONF = "config.bench_urls"

_CONTEXT = "core.request_context.RequestContextMiddleware"
_AUDIT = "audit.middleware.AuditMiddleware"
# Inside both the request context and the audit middleware, whichever comes later.
_after = max(MIDDLEWARE.index(name) for name in (_CONTEXT, _AUDIT) if name in MIDDLEWARE)
MIDDLEWARE = [
    "config.bench_middleware.QueryCountMiddleware",
    *MIDDLEWARE[: _after + 1],
    "config.bench_middleware.DiscardAuditMiddleware",
    *MIDDLEWARE[_after + 1 :],
]
