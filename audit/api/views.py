"""/api/v1/audit/...: the DPO's metadata, cursor-paginated (no count over tens of millions)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, permissions, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit import selectors
from audit.models import AccessEvent, Disclosure
from audit.services import reason_shown, reasons_shown
from audit.verify import verify_all
from core.pagination import StrictCursorPagination
from core.params import int_param
from core.permissions import ROLE_DPO, has_role


class IsDPO(permissions.BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(request.user.is_authenticated and has_role(request.user, ROLE_DPO))


class AuditCursorPagination(StrictCursorPagination):
    # Newest first by id, not seq: a read is listed at once, before the sequencer has given it
    # its place in the chain (seq is null until then).
    ordering = "-id"


class AccessEventSerializer(serializers.ModelSerializer[AccessEvent]):
    actor_name = serializers.CharField(source="actor.full_name", default=None)
    object_type = serializers.CharField(source="content_type.model", default=None)
    # Decrypted while the case file's key exists; "slettet" once it was deleted.
    reason = serializers.SerializerMethodField()

    class Meta:
        model = AccessEvent
        fields = [
            "id",
            "seq",
            "occurred_at",
            "actor",
            "actor_name",
            "actor_agency",
            "action",
            "object_type",
            "object_ids",
            "person_ids",
            "person_pseudonyms",
            "search_criterion",
            "reason",
            "request_id",
            "ip_address",
        ]

    def get_reason(self, event: AccessEvent) -> str:
        return reason_shown(event)


class DisclosureSerializer(serializers.ModelSerializer[Disclosure]):
    legal_basis = serializers.SerializerMethodField()
    source_type = serializers.CharField(source="source_type.model")
    necessity = serializers.SerializerMethodField()  # as AccessEventSerializer.reason

    class Meta:
        model = Disclosure
        fields = [
            "id",
            "seq",
            "occurred_at",
            "actor",
            "from_agency",
            "to_agency_ids",
            "forum_id",
            "source_type",
            "source_id",
            "person_id",
            "person_pseudonym",
            "legal_basis",
            "necessity",
            "data_categories",
        ]

    def get_necessity(self, row: Disclosure) -> str:
        return reason_shown(row)

    def get_legal_basis(self, row: Disclosure) -> dict[str, str]:
        return {"paragraph": row.paragraph, "cooperation": row.cooperation}


def _int(request: Request, name: str) -> int | None:
    return int_param(request.query_params.get(name), name)


def _date(request: Request, name: str) -> datetime.date | None:
    raw = request.query_params.get(name) or ""
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError({name: ["Datoen skal skrives ÅÅÅÅ-MM-DD."]}) from None


class AuditListView(generics.ListAPIView[Any]):
    """The DPO's lists, of the DPO's own municipality only (audit.selectors.Scope)."""

    permission_classes = [permissions.IsAuthenticated, IsDPO]
    pagination_class = AuditCursorPagination

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        # A page's sealed reasons decrypted with one query for their keys, not one per row.
        if args and isinstance(args[0], list):
            reasons_shown(args[0])
        return super().get_serializer(*args, **kwargs)

    def scope(self) -> selectors.Scope:
        return selectors.scope_of(self.request.user)


class AccessEventListView(AuditListView):
    serializer_class = AccessEventSerializer

    def get_queryset(self) -> QuerySet[AccessEvent, Any]:
        action = self.request.query_params.get("action") or ""
        if action and action not in AccessEvent.Action.values:
            raise ValidationError({"action": ["Ukendt handling."]})
        return selectors.access_events(
            scope=self.scope(),
            person=(self.request.query_params.get("person") or "")[:32],
            user=_int(self.request, "user"),
            agency=_int(self.request, "agency"),
            action=action,
            date_from=_date(self.request, "from"),
            date_to=_date(self.request, "to"),
        )


class SearchListView(AccessEventListView):
    """Searches with their criteria (Datatilsynet asks for them)."""

    def get_queryset(self) -> QuerySet[AccessEvent, Any]:
        return selectors.access_events(
            scope=self.scope(),
            user=_int(self.request, "user"),
            action=AccessEvent.Action.SEARCH,
            date_from=_date(self.request, "from"),
            date_to=_date(self.request, "to"),
        )


class DisclosureListView(AuditListView):
    serializer_class = DisclosureSerializer

    def get_queryset(self) -> QuerySet[Disclosure, Any]:
        return selectors.disclosures(
            scope=self.scope(),
            person=(self.request.query_params.get("person") or "")[:32],
            forum=_int(self.request, "forum"),
            date_from=_date(self.request, "from"),
            date_to=_date(self.request, "to"),
        )


class VerifyView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsDPO]

    @extend_schema(
        responses=inline_serializer(
            "AuditVerify",
            {
                "ok": serializers.BooleanField(),
                "checked": serializers.IntegerField(),
                "first_bad": serializers.IntegerField(allow_null=True),
                "problem": serializers.CharField(),
            },
        )
    )
    def get(self, request: Request) -> Response:
        result = verify_all()
        return Response(
            {
                "ok": result.ok,
                "checked": result.checked,
                "first_bad": result.first_bad,
                "problem": result.problem,
            }
        )
