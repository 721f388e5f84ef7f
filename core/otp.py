"""A password alone reaches nothing: a session that has logged in but not yet passed the second
factor (django-otp's ``user.is_verified()``) is sent to the code step on every page, Django
admin included, and answered 401 on the API. Runs after django_otp's OTPMiddleware.

API requests with a token carry no session user here (DRF authenticates them in the view), and
a token is only issued after the second factor."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _

# Routes (URL names) that a logged-in but unverified session may reach: the two login steps,
# enrolment, logout and the health check. The API token endpoint (``api:auth-token``) takes its
# own email, password and code; add further names here, never a page that shows data.
OTP_EXEMPT_URL_NAMES: frozenset[str] = frozenset(
    {
        "accounts:login",
        "accounts:otp",
        "accounts:otp-enrol",
        "accounts:logout",
        "core:health",
        "api:auth-token",
        "set_language",  # the language switch on the login and code pages
    }
)
OTP_STEP_URL_NAME = "accounts:otp"
API_PREFIX = "/api/"


def _exempt(request: HttpRequest) -> bool:
    if request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return True
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False  # the 404 page shows nothing
    return match.view_name in OTP_EXEMPT_URL_NAMES


class OTPRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            # Without OTPMiddleware there is no is_verified(): fail closed.
            and not getattr(user, "is_verified", lambda: False)()
            and not _exempt(request)
        ):
            return self._refuse(request)
        return self.get_response(request)

    def _refuse(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(API_PREFIX):
            response = JsonResponse(
                {"detail": _("Login mangler totrinsbekræftelse (engangskode).")}, status=401
            )
            response["WWW-Authenticate"] = "Session"
            response["Cache-Control"] = "no-store"
            return response
        target = request.get_full_path() if request.method == "GET" else "/"
        return HttpResponseRedirect(f"{reverse(OTP_STEP_URL_NAME)}?{urlencode({'next': target})}")
