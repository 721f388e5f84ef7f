"""API login: ``POST /api/v1/auth/token/`` with email, password and a second-factor code
returns a token; ``DELETE`` on the same path, or ``POST /api/v1/auth/logout/``, revokes the
token the request used. Every refusal counts towards the login lockout (accounts.lockout)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth import logout as session_logout
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import lockout, mfa
from accounts.models import ApiToken, User, acting_user
from accounts.tokens import token_create, token_revoke
from core.api import ProtectedAPIView, StrictSerializer
from core.throttling import AnonRateThrottle, TokenRateThrottle, UserRateThrottle


class TokenRequestSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    otp = serializers.CharField(
        max_length=64, help_text="Koden fra godkendelsesappen eller en backupkode."
    )


class TokenSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(help_text="Send som `Authorization: Token <token>`.")
    expires_at = serializers.DateTimeField()


ERROR = inline_serializer(
    "AuthError",
    {
        "detail": serializers.CharField(),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()), required=False
        ),
    },
)


def _refused() -> exceptions.AuthenticationFailed:
    # One message for every refusal: it never tells which part was wrong or if the account exists.
    return exceptions.AuthenticationFailed(
        _(
            "Login mislykkedes: e-mail, adgangskode eller engangskode er forkert, eller kontoen "
            "har ikke totrinsbekræftelse."
        )
    )


class _TokenHolderView(ProtectedAPIView):
    def revoke(self, request: Request) -> Response:
        if isinstance(request.auth, ApiToken):
            token_revoke(actor=acting_user(request), token=request.auth)
        else:  # a browser session: logging out ends it
            session_logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


@method_decorator(sensitive_post_parameters("password", "otp"), name="dispatch")
class TokenView(_TokenHolderView):
    """Issue (anyone with the credentials) and revoke (the token's holder) API tokens."""

    throttle_classes = [UserRateThrottle, AnonRateThrottle, TokenRateThrottle]

    def get_permissions(self) -> list[permissions.BasePermission]:
        if self.request.method == "POST":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    @extend_schema(
        operation_id="auth_token_create",
        request=TokenRequestSerializer,
        responses={
            201: TokenSerializer,
            400: OpenApiResponse(ERROR, description="Ugyldige data."),
            401: OpenApiResponse(ERROR, description="Forkerte oplysninger."),
            429: OpenApiResponse(ERROR, description="For mange forsøg, eller login spærret."),
        },
        auth=[],
        description="Returns a token after email, password and a second-factor code. The "
        "token is shown once and expires after API_TOKEN_HOURS. Every refusal counts towards "
        "the login lockout.",
    )
    def post(self, request: Request) -> Response:
        incoming = TokenRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        email = lockout.normalised_email(data["email"]) or ""
        # Through Django's authenticate with the request: django-axes refuses a locked account
        # or address and counts a wrong password.
        user = authenticate(request._request, email=email, password=data["password"])
        if not isinstance(user, User):
            raise _refused()
        if not mfa.is_enrolled(user):
            # A token never exists without a passed second factor.
            lockout.record_failure(request, email)
            raise _refused()
        if mfa.code_verify(request=request._request, user=user, code=data["otp"]) is None:
            raise _refused()  # counted by code_verify
        issued = token_create(actor=user)
        return Response(
            TokenSerializer({"token": issued.token, "expires_at": issued.expires_at}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        operation_id="auth_token_destroy",
        request=None,
        responses={204: None, 401: OpenApiResponse(ERROR)},
        description="Revokes the token this request was made with (a browser session is "
        "logged out instead).",
    )
    def delete(self, request: Request) -> Response:
        return self.revoke(request)


class LogoutView(_TokenHolderView):
    """api.md's logout: revokes the request's token (or ends the browser session)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="auth_logout",
        request=None,
        responses={204: None, 401: OpenApiResponse(ERROR)},
    )
    def post(self, request: Request) -> Response:
        return self.revoke(request)
