"""API rate limits (DRF throttling): per user, per client address, and a stricter one for the
token endpoint. The address is core.request_context's (never a client-sent X-Forwarded-For,
which DRF's own classes would believe); the counters live in the default cache, which is
Redis in production so every web process counts together."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.settings import api_settings

from core.request_context import client_ip

logger = logging.getLogger("tvaers.throttling")


class _ClientAddressMixin:
    scope: str | None

    def allow_request(self, request: Any, view: Any) -> bool:
        """With the counters' cache unreachable (Redis down) the request is let through and
        logged: an outage of the counters must not take the API down with it (make drills).
        Logins stay guarded by the lockout, which lives in PostgreSQL (django-axes)."""
        try:
            allowed: bool = super().allow_request(request, view)  # type: ignore[misc]
        except (OSError, RedisError):
            logger.warning("rate limit %s not checked: its cache is unreachable", self.scope)
            return True
        return allowed

    def get_ident(self, request: Any) -> str:
        return client_ip(request) or "unknown"

    def get_rate(self) -> str | None:
        # Read now, not at import as DRF does, so a changed setting (tests) takes effect.
        if not self.scope:
            raise ImproperlyConfigured("A throttle needs a scope.")
        try:
            rate = api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError as exc:
            raise ImproperlyConfigured(f"No throttle rate for scope {self.scope!r}.") from exc
        return None if rate is None else str(rate)


class UserRateThrottle(_ClientAddressMixin, throttling.UserRateThrottle):
    """Authenticated requests, per user (setting API_RATE_USER)."""


class AnonRateThrottle(_ClientAddressMixin, throttling.AnonRateThrottle):
    """Unauthenticated requests, per client address (setting API_RATE_ANON)."""


class TokenRateThrottle(_ClientAddressMixin, throttling.SimpleRateThrottle):
    """Requests to the token endpoint, per client address whoever is logged in (setting
    API_RATE_TOKEN): password and code guessing costs time before it costs a lockout."""

    scope = "token"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
