"""``Cache-Control: no-store`` on every response Django produces.

Pages and API answers carry person data, audit records or at least who is logged in; none is
worth caching, and a shared office PC, a proxy or the browser's back button must not keep a
copy. Static files (whitenoise, above this middleware in MIDDLEWARE) keep their long caching.
The other security headers come from Django's SecurityMiddleware (HSTS, nosniff,
Referrer-Policy, COOP), XFrameOptionsMiddleware and django-csp (settings.py).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "no-store"
        return response
