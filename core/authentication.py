"""API authentication. Its own module: DRF imports it while defining its base views."""

from rest_framework import authentication
from rest_framework.request import Request


class SessionAuthentication(authentication.SessionAuthentication):
    """Browser sessions (with CSRF). Naming a scheme makes DRF answer 401, not 403, to a
    request without credentials, as api.md promises."""

    def authenticate_header(self, request: Request) -> str:
        return "Session"
