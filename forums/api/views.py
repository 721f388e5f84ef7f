from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.views import AgencySerializer
from accounts.models import Agency, Municipality, User, acting_user
from core.api import ProtectedAPIView, ProtectedViewSet, StrictSerializer, StrictSerializerMixin
from core.permissions import get_object_for, roles_of, visible_to
from forums import services
from forums.models import Forum, ForumKind, Membership


class ForumSerializer(StrictSerializerMixin, serializers.ModelSerializer[Forum]):
    municipality = serializers.PrimaryKeyRelatedField(queryset=Municipality.objects.all())
    agencies = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.all(), many=True, required=False
    )
    kind = serializers.ChoiceField(choices=ForumKind.choices)
    name = serializers.CharField(max_length=200)

    class Meta:
        model = Forum
        fields = [
            "id",
            "name",
            "kind",
            "municipality",
            "agencies",
            "age_min",
            "age_max",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]


class ForumUpdateSerializer(StrictSerializerMixin, serializers.ModelSerializer[Forum]):
    agencies = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.all(), many=True, required=False
    )

    class Meta:
        model = Forum
        fields = ["name", "agencies", "age_min", "age_max"]


class MembershipSerializer(serializers.ModelSerializer[Membership]):
    user_name = serializers.CharField(source="user.full_name", read_only=True)
    agency = serializers.CharField(
        source="user.agency.name", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Membership
        fields = ["id", "forum", "user", "user_name", "agency", "role", "valid_from", "valid_to"]


class MembershipCreateSerializer(StrictSerializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    role = serializers.ChoiceField(choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    valid_from = serializers.DateField(required=False)
    valid_to = serializers.DateField(required=False, allow_null=True)


class ForumViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ProtectedViewSet):
    """Forums the user is a current member of; coordinators create, chairs/coordinators edit."""

    serializer_class = ForumSerializer
    list_scope = "own"  # the forums the user sits in: no person data

    def base_queryset(self) -> QuerySet[Forum, Any]:
        return Forum.objects.select_related("municipality").prefetch_related("agencies")

    def get_object(self) -> Forum:
        return get_object_for(self.request.user, self.base_queryset(), self.kwargs["pk"])

    def create(self, request: Request) -> Response:
        serializer = ForumSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        forum = services.forum_create(actor=acting_user(request), **serializer.validated_data)
        return Response(ForumSerializer(forum).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        forum = get_object_for(request.user, self.base_queryset(), pk, "change")
        serializer = ForumUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        forum = services.forum_update(
            actor=acting_user(request), forum=forum, **serializer.validated_data
        )
        return Response(ForumSerializer(forum).data)

    @extend_schema(methods=["GET"], request=None, responses=MembershipSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=MembershipCreateSerializer,
        responses={status.HTTP_201_CREATED: MembershipSerializer},
    )
    @action(detail=True, methods=["get", "post"], serializer_class=MembershipCreateSerializer)
    def memberships(self, request: Request, pk: str) -> Response:
        if request.method == "POST":
            forum = get_object_for(request.user, self.base_queryset(), pk, "change")
            serializer = MembershipCreateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            membership = services.membership_add(
                actor=acting_user(request), forum=forum, **serializer.validated_data
            )
            return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)
        forum = get_object_for(request.user, self.base_queryset(), pk)
        memberships = visible_to(
            request.user, Membership.objects.filter(forum=forum).select_related("user__agency")
        )
        page = self.paginate_queryset(memberships)
        return self.get_paginated_response(MembershipSerializer(page, many=True).data)


class MembershipViewSet(ProtectedViewSet):
    """Ending a membership (DELETE) sets valid_to to today; access ends at once."""

    serializer_class = MembershipSerializer

    def base_queryset(self) -> QuerySet[Membership, Any]:
        return Membership.objects.select_related("user__agency")

    def destroy(self, request: Request, pk: str) -> Response:
        membership = get_object_for(request.user, self.base_queryset(), pk, "change")
        services.membership_end(actor=acting_user(request), membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeMembershipSerializer(serializers.Serializer[Membership]):
    id = serializers.IntegerField()
    forum = serializers.IntegerField(source="forum_id")
    forum_name = serializers.CharField(source="forum.name")
    role = serializers.CharField()


class MeSerializer(serializers.Serializer[User]):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField(source="full_name")
    agency = AgencySerializer(allow_null=True)
    roles = serializers.SerializerMethodField()
    memberships = serializers.SerializerMethodField()

    def get_roles(self, user: User) -> list[str]:
        return sorted(roles_of(user))

    @extend_schema_field(MeMembershipSerializer(many=True))
    def get_memberships(self, user: User) -> list[dict[str, Any]]:
        memberships = Membership.objects.current().filter(user=user).select_related("forum")
        return [MeMembershipSerializer(m).data for m in memberships]


class MeView(ProtectedAPIView):
    """The current user, their roles and current memberships (for every role)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(acting_user(request)).data)
