"""Shared pieces of the REST API: strict input, the error shape of api.md, pagination, and the
guarded base viewset that lists through ``visible_to`` and records what a page showed."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import Conflict
from core.pagination import PagePagination
from core.permissions import record_access, require_list_scope, sees_no_content, visible_to


class SeesContent(permissions.BasePermission):
    """DPOs and administrators never receive content: 403 on every content endpoint."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return not sees_no_content(request.user)


class ProtectedAPIView(APIView):
    """Base of every API endpoint on protected objects: authenticated users who may see content
    (DRF's authentication already refuses inactive accounts); objects only through
    core.permissions."""

    permission_classes = [permissions.IsAuthenticated, SeesContent]


def _json_type_error(field: serializers.Field[Any, Any, Any, Any], value: Any) -> str | None:
    """The Danish message when ``value`` is not of the JSON type the schema gives ``field``
    (DRF would turn ``0`` into ``"0"`` for text, ``"1"`` into ``1`` for a number), else None."""
    if value is None:
        return None  # allow_null decides
    if isinstance(field, serializers.ManyRelatedField | serializers.ListField):
        child = getattr(field, "child_relation", None) or getattr(field, "child", None)
        if isinstance(value, list) and child is not None:
            return next(filter(None, (_json_type_error(child, item) for item in value)), None)
        return None  # DRF refuses a non-list itself
    if isinstance(field, serializers.CharField) and not isinstance(value, str):
        return _("Skal være tekst.")
    if isinstance(field, serializers.IntegerField | serializers.PrimaryKeyRelatedField) and (
        not isinstance(value, int) or isinstance(value, bool)
    ):
        return _("Skal være et helt tal.")
    if isinstance(field, serializers.FloatField) and (
        not isinstance(value, int | float) or isinstance(value, bool)
    ):
        return _("Skal være et tal.")
    if isinstance(field, serializers.BooleanField) and not isinstance(value, bool):
        return _("Skal være sand eller falsk.")
    return None


class StrictSerializerMixin:
    """Unknown fields are an error (a typo must not be silently ignored), and so is a value of
    the wrong JSON type (the API reads JSON only: a number sent as text is a client's bug)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            fields = self.fields  # type: ignore[attr-defined]
            unknown = sorted(str(key) for key in data if key not in fields)
            if unknown:
                raise serializers.ValidationError({key: [_("Ukendt felt.")] for key in unknown})
            wrong = {
                key: [message]
                for key, value in data.items()
                if not fields[key].read_only
                and (message := _json_type_error(fields[key], value)) is not None
            }
            if wrong:
                raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictSerializer(StrictSerializerMixin, serializers.Serializer[Any]):
    pass


@contextmanager
def renamed_errors(names: dict[str, str]) -> Iterator[None]:
    """Report a service's field errors under the names the API client used."""
    try:
        yield
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise DjangoValidationError(
            {names.get(field, field): messages for field, messages in exc.message_dict.items()}
        ) from None


def validation_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if k == "__all__" else k): v for k, v in exc.message_dict.items()
        }
    return {"non_field_errors": exc.messages}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Errors as ``{"detail": ..., "errors": {...}}`` (api.md); service errors map to 400/403."""
    if isinstance(exc, DjangoValidationError):
        return Response(
            {"detail": _("Ugyldige data."), "errors": validation_errors(exc)},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Conflict):
        return Response(
            {
                "detail": _("Andre har ændret dette imens. Hent den nyeste version og prøv igen."),
                "errors": {"version": [_("Forældet version.")]},
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Findes ikke."))
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = {"detail": _("Ugyldige data."), "errors": errors}
    elif response is not None and response.status_code == status.HTTP_400_BAD_REQUEST:
        response.data = {
            "detail": response.data.get("detail"),
            "errors": {"non_field_errors": [response.data.get("detail")]},
        }
    elif response is not None and isinstance(exc, exceptions.Throttled):
        # 429 with Retry-After (set by DRF from the throttle's wait).
        wait: float | None = getattr(exc, "wait", None)
        detail = (
            _("For mange forespørgsler. Prøv igen om %(seconds)d sekunder.")
            % {"seconds": math.ceil(wait)}
            if wait is not None
            else _("For mange forespørgsler. Prøv igen senere.")
        )
        response.data = {"detail": detail, "errors": {"non_field_errors": [detail]}}
    return response


class ProtectedViewSet(ProtectedAPIView, viewsets.GenericViewSet[Any]):
    """Lists go through ``visible_to(user, queryset, list_action)``; each page shown is recorded
    as one access event (``audit_list_as``) with the ids on it.

    ``list_scope`` says how a list is narrowed to one forum, for the police purpose lock
    (``core.permissions.require_list_scope``): "query" lists need ``?forum=`` and take no ``q``
    from police accounts; "path" lists are under one forum, case file or plan in their URL;
    "own" lists hold only the user's own items (their actions, their inbox).
    """

    pagination_class = PagePagination
    lookup_value_converter = "int"
    list_action = "view"
    list_scope = "query"
    audit_list_as: str | None = None

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if self.action == "list" and self.list_scope == "query":
            require_list_scope(
                request.user,
                self.base_model(),
                forum_given=bool(request.query_params.get("forum")),
                search=request.query_params.get("q", ""),
            )

    def base_model(self) -> type[models.Model]:
        return self.get_serializer_class().Meta.model  # type: ignore[no-any-return,attr-defined]

    def base_queryset(self) -> models.QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> models.QuerySet[Any]:
        return visible_to(self.request.user, self.base_queryset(), self.list_action)

    def paginate_queryset(self, queryset: Any) -> list[Any] | None:
        page = super().paginate_queryset(queryset)
        if page is not None and self.audit_list_as:
            record_access(
                self.request.user,
                list(page),
                self.audit_list_as,
                model=queryset.model,
                **self.audit_details(),
            )
        return page

    def audit_details(self) -> dict[str, Any]:
        return {}
