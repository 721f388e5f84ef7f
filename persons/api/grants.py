"""Per-person grants: GET/POST /persons/{id}/grants/ and DELETE /person-grants/{id}/.

A chair or coordinator gives one named user outside the forum read access to one person for a
limited time; the grantee sees the person and the helhedsplan of the granting case file."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User, acting_user
from audit.models import AccessEvent
from core.api import ProtectedViewSet, StrictSerializer
from core.permissions import get_object_for
from persons import selectors, services
from persons.api.fields import DecryptedTextField
from persons.models import CaseFile, FocusPerson, PersonGrant


class PersonGrantSerializer(serializers.ModelSerializer[PersonGrant]):
    forum = serializers.IntegerField(source="case_file.forum_id", read_only=True)
    grantee_name = serializers.CharField(source="grantee.full_name", read_only=True)
    grantee_agency = serializers.CharField(source="grantee.agency.name", read_only=True)
    reason = DecryptedTextField()

    class Meta:
        model = PersonGrant
        fields = [
            "id",
            "person",
            "case_file",
            "forum",
            "grantee",
            "grantee_name",
            "grantee_agency",
            "granted_by",
            "reason",
            "created_at",
            "expires_at",
        ]


class PersonGrantCreateSerializer(StrictSerializer):
    case_file = serializers.IntegerField()
    user = serializers.IntegerField()
    expires_at = serializers.DateTimeField()
    reason = serializers.CharField(max_length=services.MAX_REASON)


def grants_base() -> QuerySet[PersonGrant, Any]:
    return PersonGrant.objects.select_related("person", "case_file", "grantee__agency")


class PersonGrantsViewSet(ProtectedViewSet):
    """GET: the active grants on the person made from forums the user chairs or coordinates
    (a grantee sees their own). POST: give a grant from one of those forums' case files."""

    serializer_class = PersonGrantSerializer
    list_scope = "path"
    audit_list_as = AccessEvent.Action.VIEW_CASE_FILE

    def person(self) -> FocusPerson:
        if not hasattr(self, "_person"):
            self._person = selectors.person_get_for(
                user=self.request.user, pk=self.kwargs["person_pk"]
            )
        return self._person

    def base_queryset(self) -> QuerySet[PersonGrant, Any]:
        return grants_base().filter(person=self.person()).order_by("expires_at", "pk")

    def list(self, request: Request, person_pk: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PersonGrantSerializer(page, many=True).data)

    @extend_schema(request=PersonGrantCreateSerializer, responses=PersonGrantSerializer)
    def create(self, request: Request, person_pk: str) -> Response:
        person = self.person()
        serializer = PersonGrantCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        case_file = get_object_for(
            request.user,
            CaseFile.objects.filter(person=person).select_related("forum", "person"),
            data["case_file"],
            "change",
        )
        grantee = User.objects.select_related("agency").filter(pk=data["user"]).first()
        if grantee is None:
            raise ValidationError(
                {"user": [_("Adgang kan kun gives til en aktiv medarbejder i en myndighed.")]}
            )
        grant = services.person_grant_create(
            actor=acting_user(request),
            case_file=case_file,
            grantee=grantee,
            expires_at=data["expires_at"],
            reason=data["reason"],
        )
        return Response(PersonGrantSerializer(grant).data, status=status.HTTP_201_CREATED)


class PersonGrantViewSet(ProtectedViewSet):
    """DELETE /person-grants/{id}/: revoke at once (chair or coordinator of the forum)."""

    serializer_class = PersonGrantSerializer

    def base_queryset(self) -> QuerySet[PersonGrant, Any]:
        return grants_base().select_related("case_file__forum")

    def destroy(self, request: Request, pk: str) -> Response:
        grant = get_object_for(request.user, self.base_queryset(), pk, "change")
        services.person_grant_revoke(actor=acting_user(request), grant=grant)
        return Response(status=status.HTTP_204_NO_CONTENT)
