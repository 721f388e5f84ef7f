from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import acting_user
from audit.models import AccessEvent
from coordination import selectors, services
from coordination.models import Note
from core.api import ProtectedViewSet, StrictSerializer
from persons.api.fields import DecryptedTextField
from persons.models import CaseFile


class LegalBasisSerializer(StrictSerializer):
    paragraph = serializers.ChoiceField(choices=["stk1", "stk2", "stk3"], required=False)
    cooperation = serializers.ChoiceField(
        choices=["nr1", "nr2", "nr3a", "nr3b", "nr3c"], required=False
    )


class NoteSerializer(serializers.ModelSerializer[Note]):
    body = serializers.CharField(read_only=True)  # the decrypted text, not the stored bytes
    author_name = serializers.CharField(source="author.full_name", read_only=True)
    necessity = DecryptedTextField()
    legal_basis = serializers.SerializerMethodField()

    class Meta:
        model = Note
        fields = [
            "id",
            "case_file",
            "body",
            "author",
            "author_name",
            "agency",
            "visibility",
            "created_at",
            "shared_at",
            "necessity",
            "legal_basis",
        ]

    def get_legal_basis(self, note: Note) -> dict[str, str] | None:
        if not note.legal_paragraph:
            return None
        return {"paragraph": note.legal_paragraph, "cooperation": note.legal_cooperation}


class NoteCreateSerializer(StrictSerializer):
    body = serializers.CharField(max_length=services.MAX_NOTE)
    visibility = serializers.ChoiceField(
        choices=Note.Visibility.choices, default=Note.Visibility.AGENCY
    )
    necessity = serializers.CharField(max_length=1000, required=False, default="")
    legal_basis = LegalBasisSerializer(required=False)


class NoteShareSerializer(StrictSerializer):
    necessity = serializers.CharField(max_length=1000)
    legal_basis = LegalBasisSerializer(required=False)


class CaseFileNotesViewSet(ProtectedViewSet):
    """GET/POST /case-files/{id}/notes/: notes the user may see on one case file."""

    serializer_class = NoteSerializer
    list_scope = "path"
    audit_list_as = AccessEvent.Action.VIEW_NOTE

    def base_queryset(self) -> QuerySet[Note, Any]:
        return (
            selectors.notes_base()
            .filter(case_file_id=self.case_file().pk)
            .order_by("-created_at", "-id")
        )

    def case_file(self) -> CaseFile:
        if not hasattr(self, "_case_file"):
            self._case_file = selectors.casefile_get_for(
                user=self.request.user, pk=self.kwargs["case_file_pk"]
            )
        return self._case_file

    def list(self, request: Request, case_file_pk: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(NoteSerializer(page, many=True).data)

    def create(self, request: Request, case_file_pk: str) -> Response:
        serializer = NoteCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = services.note_create(
            actor=acting_user(request),
            case_file=self.case_file(),
            **serializer.validated_data,
        )
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)


class NoteViewSet(ProtectedViewSet):
    serializer_class = NoteSerializer

    def base_queryset(self) -> QuerySet[Note, Any]:
        return selectors.notes_base()

    @action(detail=True, methods=["post"], serializer_class=NoteShareSerializer)
    def share(self, request: Request, pk: str) -> Response:
        note = selectors.note_get_for(user=request.user, pk=pk, action="share")
        serializer = NoteShareSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.note_share(actor=acting_user(request), note=note, **serializer.validated_data)
        return Response(NoteSerializer(note).data)
