from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Agency, acting_user
from audit.models import AccessEvent
from core.api import ProtectedViewSet, StrictSerializer, renamed_errors
from core.params import int_param
from core.permissions import get_object_for
from forums.models import Forum
from persons import selectors, services
from persons.api.fields import DecryptedTextField
from persons.categories import category_choices
from persons.models import CaseFile, Concern, FocusPerson


class CaseFileSerializer(serializers.ModelSerializer[CaseFile]):
    mode = serializers.CharField(source="discussion_mode")
    status = serializers.SerializerMethodField()
    named_reason = DecryptedTextField()
    consent_refused_reason = DecryptedTextField()
    closed_reason = DecryptedTextField()

    class Meta:
        model = CaseFile
        fields = [
            "id",
            "person",
            "forum",
            "status",
            "mode",
            "named_reason",
            "consent",
            "consent_refused_reason",
            "ksp_letter",
            "expected_release_date",
            "opened_at",
            "closed_at",
            "closed_reason",
        ]

    def get_status(self, case_file: CaseFile) -> str:
        return "open" if case_file.is_open else "closed"


class PersonSerializer(serializers.ModelSerializer[FocusPerson]):
    """A person without identity: pseudonym, birth year, status and visible case files."""

    case_files = serializers.SerializerMethodField()

    class Meta:
        model = FocusPerson
        fields = ["id", "pseudonym", "birth_year", "status", "case_files"]

    def get_case_files(self, person: FocusPerson) -> list[dict[str, Any]]:
        return [
            {"id": cf.pk, "forum": cf.forum_id, "mode": cf.discussion_mode}
            for cf in getattr(person, "visible_case_files", [])
        ]


class ConcernSerializer(serializers.ModelSerializer[Concern]):
    description = serializers.CharField(read_only=True)  # the decrypted text, not the stored bytes
    person = serializers.IntegerField(source="case_file.person_id", read_only=True)
    pseudonym = serializers.CharField(source="case_file.person.pseudonym", read_only=True)
    forum = serializers.IntegerField(source="case_file.forum_id", read_only=True)

    class Meta:
        model = Concern
        fields = [
            "id",
            "case_file",
            "person",
            "pseudonym",
            "forum",
            "source_agency",
            "categories",
            "description",
            "decision",
            "created_at",
        ]


class IdentityInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200)
    cpr = serializers.CharField(max_length=11, required=False, allow_blank=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)


class ConcernCreateSerializer(StrictSerializer):
    forum = serializers.IntegerField()
    identity = IdentityInputSerializer()
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=category_choices()), min_length=1, max_length=20
    )
    description = serializers.CharField(max_length=services.MAX_TEXT)
    # Left out: the user's own agency (the usual case).
    source_agency = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.all(), required=False
    )
    necessity = serializers.CharField(max_length=1000)
    source_reason = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, default=""
    )
    ksp_letter = serializers.ChoiceField(
        choices=CaseFile.KspLetter.choices, required=False, default=""
    )
    # Only outside the forum's age band, and only the forum's chair (persons.services).
    age_override_reason = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, default=""
    )


class CaseFileCreateSerializer(StrictSerializer):
    person = serializers.IntegerField()
    forum = serializers.IntegerField()
    consent = serializers.ChoiceField(
        choices=CaseFile.Consent.choices, default=CaseFile.Consent.NOT_SOUGHT
    )
    consent_refused_reason = serializers.CharField(max_length=1000, required=False, default="")
    cooperation = serializers.ChoiceField(
        choices=CaseFile.KspLetter.choices, required=False, default=""
    )
    necessity = serializers.CharField(max_length=1000)
    age_override_reason = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, default=""
    )


class CaseFileUpdateSerializer(StrictSerializer):
    mode = serializers.ChoiceField(choices=CaseFile.Mode.choices, required=False)
    reason = serializers.CharField(max_length=1000, required=False, default="")
    closed_reason = serializers.CharField(max_length=500, required=False)
    expected_release_date = serializers.DateField(required=False)


class RevealedIdentitySerializer(serializers.Serializer[Any]):
    """The answer to a reveal (schema only): the identity, until the reveal expires."""

    person = serializers.IntegerField()
    name = serializers.CharField(allow_null=True)
    cpr = serializers.CharField(allow_null=True)
    birth_date = serializers.CharField(allow_null=True)
    address = serializers.CharField(allow_null=True)
    expires_at = serializers.DateTimeField()


class RevealSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=1000)


def _forum_filter(request: Request) -> int | None:
    return int_param(request.query_params.get("forum"), "forum")


class ConcernViewSet(mixins.ListModelMixin, ProtectedViewSet):
    serializer_class = ConcernSerializer
    audit_list_as = AccessEvent.Action.VIEW_CONCERN

    def base_queryset(self) -> QuerySet[Concern, Any]:
        concerns = Concern.objects.select_related("case_file__person", "case_file__data_key")
        forum = _forum_filter(self.request)
        if forum is not None:
            concerns = concerns.filter(case_file__forum_id=forum)
        decision = self.request.query_params.get("status")
        if decision:
            concerns = concerns.filter(decision=decision)
        return concerns.order_by("-created_at", "-id")

    def create(self, request: Request) -> Response:
        serializer = ConcernCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        forum = get_object_for(
            request.user, Forum.objects.select_related("municipality"), data["forum"]
        )
        result = services.concern_register(
            actor=acting_user(request),
            forum=forum,
            identity=services.IdentityInput(**data["identity"]),
            categories=data["categories"],
            description=data["description"],
            source_agency=data.get("source_agency"),
            necessity=data["necessity"],
            source_reason=data["source_reason"],
            ksp_letter=data["ksp_letter"],
            age_override_reason=data["age_override_reason"],
        )
        # The same shape and wording whether the CPR was known or new: matching is silent.
        body = {
            "concern": ConcernSerializer(result.concern).data,
            "person": {"id": result.person.pk, "pseudonym": result.person.pseudonym},
        }
        return Response(body, status=status.HTTP_201_CREATED)


class PersonViewSet(mixins.ListModelMixin, ProtectedViewSet):
    """Persons visible to the user, never with identity; ``q`` matches pseudonyms only."""

    serializer_class = PersonSerializer
    audit_list_as = AccessEvent.Action.LIST_PERSONS

    def get_queryset(self) -> QuerySet[FocusPerson, Any]:
        persons = selectors.person_list_for(
            user=self.request.user,
            forum_id=_forum_filter(self.request),
            query=self.request.query_params.get("q", "").strip(),
        )
        if self.request.query_params.get("status"):
            persons = persons.filter(status=self.request.query_params["status"])
        return persons

    def audit_details(self) -> dict[str, Any]:
        query = selectors.clean_pseudonym_query(self.request.query_params.get("q", ""))
        return {"search_criterion": f"q={query}"} if query else {}

    def retrieve(self, request: Request, pk: str) -> Response:
        person = selectors.person_get_for(
            user=request.user, pk=pk, audit_as=AccessEvent.Action.VIEW_PERSON
        )
        forum = selectors.person_forum_scope(
            user=request.user, person=person, requested=_forum_filter(request)
        )
        if forum is not None:  # a police account: one forum's case file at a time
            shown = [cf for cf in getattr(person, "visible_case_files", []) if cf.forum_id == forum]
            person.visible_case_files = shown  # type: ignore[attr-defined]
        return Response(PersonSerializer(person).data)

    @extend_schema(request=RevealSerializer, responses=RevealedIdentitySerializer)
    @action(detail=True, methods=["post"], serializer_class=RevealSerializer)
    def reveal(self, request: Request, pk: str) -> Response:
        serializer = RevealSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reveal, identity = services.identity_reveal(
            actor=acting_user(request),
            person_id=pk,
            reason=serializer.validated_data["reason"],
        )
        return Response(
            {
                "person": reveal.person_id,
                "name": identity.name,
                "cpr": identity.cpr,
                "birth_date": identity.birth_date,
                "address": identity.address,
                "expires_at": reveal.expires_at,
            }
        )


class CaseFileViewSet(mixins.ListModelMixin, ProtectedViewSet):
    serializer_class = CaseFileSerializer
    audit_list_as = AccessEvent.Action.VIEW_CASE_FILE

    def base_queryset(self) -> QuerySet[CaseFile, Any]:
        case_files = CaseFile.objects.select_related("person")
        forum = _forum_filter(self.request)
        if forum is not None:
            case_files = case_files.filter(forum_id=forum)
        return case_files.order_by("-opened_at", "-id")

    def retrieve(self, request: Request, pk: str) -> Response:
        case_file = get_object_for(
            request.user, self.base_queryset(), pk, audit_as=AccessEvent.Action.VIEW_CASE_FILE
        )
        return Response(CaseFileSerializer(case_file).data)

    def create(self, request: Request) -> Response:
        serializer = CaseFileCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        forum = get_object_for(request.user, Forum.objects.all(), data["forum"], "change")
        person = get_object_for(
            request.user, FocusPerson.objects.select_related("identity"), data["person"], "open"
        )
        with renamed_errors({"ksp_letter": "cooperation"}):
            case_file = services.casefile_open(
                actor=acting_user(request),
                person=person,
                forum=forum,
                consent=data["consent"],
                consent_refused_reason=data["consent_refused_reason"],
                ksp_letter=data["cooperation"],
                necessity=data["necessity"],
                age_override_reason=data["age_override_reason"],
            )
        return Response(CaseFileSerializer(case_file).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        case_file = get_object_for(request.user, self.base_queryset(), pk, "change")
        serializer = CaseFileUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        case_file = services.casefile_update(
            actor=acting_user(request),
            case_file=case_file,
            mode=data.get("mode"),
            reason=data["reason"],
            closed_reason=data.get("closed_reason"),
            expected_release_date=data.get("expected_release_date"),
        )
        return Response(CaseFileSerializer(case_file).data)
