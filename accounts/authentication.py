"""API token authentication (``Authorization: Token <token>``). Its own module, light on
imports: DRF imports it while defining its base views."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request


class TokenSecondFactor:
    """Stands in for the OTP device on a token-authenticated user: the token was issued only
    after the second factor passed (accounts.api.auth), so the request counts as verified
    (``user.is_verified()`` is True, ``user.otp_device`` is this)."""

    persistent_id = "accounts.ApiToken"
    name = "API-nøgle"

    def __repr__(self) -> str:
        return "<TokenSecondFactor>"


TOKEN_SECOND_FACTOR = TokenSecondFactor()


def is_token_authenticated(request: Any) -> bool:
    """The request was authenticated by an API token (thus with a passed second factor)."""
    user = getattr(request, "user", None)
    return getattr(user, "otp_device", None) is TOKEN_SECOND_FACTOR


class TokenAuthentication(authentication.TokenAuthentication):
    """Looks the token up by its hash; refuses expired and revoked tokens and inactive users
    with 401. ``request.auth`` is the accounts.ApiToken. (A subclass of DRF's only so that
    drf-spectacular documents the scheme; DRF's token model is never used.)"""

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None  # another scheme, or none: the next class decides
        from accounts.tokens import token_authenticate  # models load after DRF's settings

        try:
            record = token_authenticate(parts[1].decode("ascii")) if len(parts) == 2 else None
        except UnicodeDecodeError:
            record = None
        if record is None:
            raise exceptions.AuthenticationFailed(_("Ugyldig eller udløbet API-nøgle."))
        user: Any = record.user
        user.otp_device = TOKEN_SECOND_FACTOR  # django-otp's attributes, as OTPMiddleware sets
        user.is_verified = lambda: True
        return user, record

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
