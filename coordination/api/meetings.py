"""API of sessions, agendas, plans and actions (api.md)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Agency, User, acting_user
from audit.models import AccessEvent
from coordination import meetings, plans, selectors
from coordination.api.views import LegalBasisSerializer
from coordination.models import AgendaItem, ForumSession, Plan, PlanAction
from core.api import ProtectedViewSet, StrictSerializer
from core.params import MAX_ID
from core.permissions import get_object_for, record_access
from forums.models import Forum
from persons.api.fields import DecryptedTextField


class AgendaItemSerializer(serializers.ModelSerializer[AgendaItem]):
    person = serializers.IntegerField(source="case_file.person_id", read_only=True)
    pseudonym = serializers.CharField(source="case_file.person.pseudonym", read_only=True)
    # decrypted; null until the item is recorded
    minutes = serializers.CharField(read_only=True, allow_null=True)
    necessity = DecryptedTextField()
    legal_basis = serializers.SerializerMethodField()

    class Meta:
        model = AgendaItem
        fields = [
            "id",
            "case_file",
            "person",
            "pseudonym",
            "kind",
            "order",
            "discussion_mode",
            "presenting_agency",
            "legal_basis",
            "necessity",
            "attendees",
            "minutes",
            "recorded_at",
            "version",
        ]

    def get_legal_basis(self, item: AgendaItem) -> dict[str, str] | None:
        if not item.legal_paragraph:
            return None
        return {"paragraph": item.legal_paragraph, "cooperation": item.legal_cooperation}


class SessionSerializer(serializers.ModelSerializer[ForumSession]):
    class Meta:
        model = ForumSession
        # chair: the session's mødeleder (user id), who approves the minutes; null for sessions
        # planned before issue 11 (then any current chair of the forum approves).
        fields = ["id", "forum", "starts_at", "location", "status", "chair", "approved_at"]
        read_only_fields = fields


class SessionDetailSerializer(SessionSerializer):
    """The shape of GET /sessions/{id}/: the session with its agenda in order (the view builds
    it from the selectors; this documents it)."""

    agenda = AgendaItemSerializer(many=True, read_only=True)

    class Meta(SessionSerializer.Meta):
        fields = [*SessionSerializer.Meta.fields, "agenda"]
        read_only_fields = fields


CHAIR_HELP = "Mødelederen (bruger-id): et aktuelt medlem af forummet."


class SessionCreateSerializer(StrictSerializer):
    starts_at = serializers.DateTimeField()
    location = serializers.CharField(max_length=200, required=False, default="")
    chair = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID, help_text=CHAIR_HELP
    )


class SessionUpdateSerializer(StrictSerializer):
    chair = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text=CHAIR_HELP)


def chair_user(user_id: int) -> User:
    """The user a chair id names. An unknown id gets the same answer as a non-member (the
    service's), so the API tells no one which user ids exist."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise serializers.ValidationError(
            {"chair": [_("Mødelederen skal være et aktuelt medlem af forummet.")]}
        )
    return user


class AgendaAddSerializer(StrictSerializer):
    case_file = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=AgendaItem.Kind.choices, default=AgendaItem.Kind.REVIEW)


class RecordSerializer(StrictSerializer):
    mode = serializers.ChoiceField(choices=["anonymous", "named"])
    necessity = serializers.CharField(max_length=1000)
    presenting_agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all())
    minutes = serializers.CharField(max_length=meetings.MAX_MINUTES)
    attendees = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True
    )
    legal_basis = LegalBasisSerializer(required=False)
    version = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    correction_reason = serializers.CharField(max_length=1000, required=False, default="")


class PlanSerializer(serializers.ModelSerializer[Plan]):
    goals = serializers.CharField(read_only=True)  # decrypted

    class Meta:
        model = Plan
        fields = ["id", "case_file", "goals", "review_date", "agreed_at_session", "version"]


class PlanWriteSerializer(StrictSerializer):
    goals = serializers.CharField(max_length=plans.MAX_GOALS)
    review_date = serializers.DateField(required=False, allow_null=True)
    agreed_at_session = serializers.IntegerField(required=False, allow_null=True)
    version = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class PlanActionSerializer(serializers.ModelSerializer[PlanAction]):
    description = serializers.CharField(read_only=True)  # decrypted
    pseudonym = serializers.CharField(source="plan.case_file.person.pseudonym", read_only=True)

    class Meta:
        model = PlanAction
        fields = [
            "id",
            "plan",
            "pseudonym",
            "description",
            "responsible_agency",
            "owner",
            "due_date",
            "status",
            "completed_at",
            "version",
        ]


class ActionCreateSerializer(StrictSerializer):
    description = serializers.CharField(max_length=plans.MAX_ACTION)
    responsible_agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all())
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    due_date = serializers.DateField()


class ActionUpdateSerializer(StrictSerializer):
    version = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    status = serializers.ChoiceField(choices=PlanAction.Status.choices, required=False)
    due_date = serializers.DateField(required=False)
    description = serializers.CharField(max_length=plans.MAX_ACTION, required=False)


class ForumSessionsViewSet(ProtectedViewSet):
    """GET/POST /forums/{id}/sessions/."""

    serializer_class = SessionSerializer
    list_scope = "path"

    def forum(self, action: str = "view") -> Forum:
        return get_object_for(
            self.request.user, Forum.objects.all(), self.kwargs["forum_pk"], action
        )

    def base_queryset(self) -> QuerySet[ForumSession, Any]:
        return ForumSession.objects.filter(forum=self.forum()).order_by("-starts_at", "-pk")

    def list(self, request: Request, forum_pk: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(SessionSerializer(page, many=True).data)

    @extend_schema(request=SessionCreateSerializer, responses=SessionSerializer)
    def create(self, request: Request, forum_pk: str) -> Response:
        serializer = SessionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        forum = self.forum("change")
        chair_id = data.pop("chair", None)
        session = meetings.session_create(
            actor=acting_user(request),
            forum=forum,
            chair=chair_user(chair_id) if chair_id is not None else None,
            **data,
        )
        return Response(SessionSerializer(session).data, status=status.HTTP_201_CREATED)


class SessionViewSet(mixins.RetrieveModelMixin, ProtectedViewSet):
    serializer_class = SessionSerializer

    def base_queryset(self) -> QuerySet[ForumSession, Any]:
        return ForumSession.objects.select_related("forum")

    @extend_schema(responses=SessionDetailSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        session = selectors.session_get_for(user=request.user, pk=pk)
        items = selectors.agenda_of(user=request.user, session=session)
        record_access(request.user, items, AccessEvent.Action.VIEW_MINUTES, model=AgendaItem)
        return Response(
            {
                **SessionSerializer(session).data,
                "agenda": AgendaItemSerializer(items, many=True).data,
            }
        )

    @extend_schema(request=SessionUpdateSerializer, responses=SessionSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change the session's chair (the forum's coordinator or chair, until approval)."""
        session = selectors.session_get_for(user=request.user, pk=pk, action="change")
        serializer = SessionUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        chair = chair_user(serializer.validated_data["chair"])
        session = meetings.session_set_chair(
            actor=acting_user(request), session=session, chair=chair
        )
        return Response(SessionSerializer(session).data)

    @extend_schema(
        request=AgendaAddSerializer, responses={status.HTTP_201_CREATED: AgendaItemSerializer}
    )
    @action(
        detail=True, methods=["post"], url_path="agenda-items", serializer_class=AgendaAddSerializer
    )
    def agenda_items(self, request: Request, pk: str) -> Response:
        session = selectors.session_get_for(user=request.user, pk=pk, action="change")
        serializer = AgendaAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case_file = selectors.casefile_get_for(
            user=request.user, pk=serializer.validated_data["case_file"]
        )
        item = meetings.agenda_add(
            actor=acting_user(request),
            session=session,
            case_file=case_file,
            kind=serializer.validated_data["kind"],
        )
        return Response(AgendaItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=SessionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        session = selectors.session_get_for(user=request.user, pk=pk)
        session = meetings.session_approve(actor=acting_user(request), session=session)
        return Response(SessionSerializer(session).data)


class AgendaItemViewSet(ProtectedViewSet):
    serializer_class = AgendaItemSerializer

    def base_queryset(self) -> QuerySet[AgendaItem, Any]:
        return AgendaItem.objects.all()

    @extend_schema(request=RecordSerializer, responses=AgendaItemSerializer)
    @action(detail=True, methods=["post"], serializer_class=RecordSerializer)
    def record(self, request: Request, pk: str) -> Response:
        item = selectors.item_get_for(user=request.user, pk=pk, action="change")
        serializer = RecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = meetings.item_record(
            actor=acting_user(request), item=item, **serializer.validated_data
        )
        return Response(AgendaItemSerializer(item).data)


class CaseFilePlanViewSet(ProtectedViewSet):
    """GET/POST /case-files/{id}/plan/ (POST creates or, with version, updates)."""

    serializer_class = PlanSerializer

    def base_queryset(self) -> QuerySet[Plan, Any]:
        return Plan.objects.all()

    def retrieve(self, request: Request, case_file_pk: str) -> Response:
        case_file = selectors.casefile_get_for(user=request.user, pk=case_file_pk)
        plan = selectors.plan_for(user=request.user, case_file=case_file)
        if plan is None:
            return Response(
                {"detail": "Sagen har ingen helhedsplan endnu."}, status=status.HTTP_404_NOT_FOUND
            )
        record_access(request.user, [plan], AccessEvent.Action.VIEW_MINUTES)
        return Response(PlanSerializer(plan).data)

    @extend_schema(
        request=PlanWriteSerializer,
        responses={status.HTTP_200_OK: PlanSerializer, status.HTTP_201_CREATED: PlanSerializer},
    )
    def create(self, request: Request, case_file_pk: str) -> Response:
        case_file = selectors.casefile_get_for(user=request.user, pk=case_file_pk, action="change")
        serializer = PlanWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        session_id = data.pop("agreed_at_session", None)
        session = (
            selectors.session_get_for(user=request.user, pk=session_id) if session_id else None
        )
        existed = selectors.plan_for(user=request.user, case_file=case_file) is not None
        plan = plans.plan_save(
            actor=acting_user(request), case_file=case_file, agreed_at_session=session, **data
        )
        return Response(
            PlanSerializer(plan).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )


class PlanActionsViewSet(ProtectedViewSet):
    """GET/POST /plans/{id}/actions/."""

    serializer_class = PlanActionSerializer
    list_scope = "path"
    audit_list_as = AccessEvent.Action.VIEW_MINUTES

    def base_queryset(self) -> QuerySet[PlanAction, Any]:
        plan = selectors.plan_get_for(user=self.request.user, pk=self.kwargs["plan_pk"])
        return (
            PlanAction.objects.filter(plan=plan)
            .select_related("plan__case_file__data_key", "plan__case_file__person")
            .order_by("due_date", "pk")
        )

    def list(self, request: Request, plan_pk: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PlanActionSerializer(page, many=True).data)

    @extend_schema(request=ActionCreateSerializer, responses=PlanActionSerializer)
    def create(self, request: Request, plan_pk: str) -> Response:
        plan = selectors.plan_get_for(user=request.user, pk=plan_pk, action="change")
        serializer = ActionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = plans.action_create(
            actor=acting_user(request), plan=plan, **serializer.validated_data
        )
        return Response(PlanActionSerializer(created).data, status=status.HTTP_201_CREATED)


class ActionViewSet(ProtectedViewSet):
    """PATCH /actions/{id}/ (owner, chair, coordinator; stale version → 409)."""

    serializer_class = PlanActionSerializer

    def base_queryset(self) -> QuerySet[PlanAction, Any]:
        return PlanAction.objects.all()

    @extend_schema(request=ActionUpdateSerializer, responses=PlanActionSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        found = selectors.action_get_for(user=request.user, pk=pk, action="change")
        serializer = ActionUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        updated = plans.action_update(
            actor=acting_user(request), action=found, **serializer.validated_data
        )
        return Response(PlanActionSerializer(updated).data)


class MyActionsViewSet(ProtectedViewSet):
    """GET /my/actions/?due_before=: the user's open actions, soonest first."""

    serializer_class = PlanActionSerializer
    list_scope = "own"
    audit_list_as = AccessEvent.Action.VIEW_MINUTES

    def get_queryset(self) -> QuerySet[PlanAction, Any]:
        raw = self.request.query_params.get("due_before") or ""
        try:
            due_before = datetime.date.fromisoformat(raw) if raw else None
        except ValueError:
            raise serializers.ValidationError(
                {"due_before": ["Datoen skal skrives ÅÅÅÅ-MM-DD."]}
            ) from None
        return selectors.my_open_actions(user=self.request.user, due_before=due_before)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PlanActionSerializer(page, many=True).data)
