from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.models import Notification
from core.services import notifications_for


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    class Meta:
        model = Notification
        fields = ["id", "kind", "message", "link", "created_at", "read_at"]


class NotificationListView(APIView):
    """GET /api/v1/notifications/: the user's own in-app notifications (any role)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=NotificationSerializer(many=True))
    def get(self, request: Request) -> Response:
        notifications: list[Any] = notifications_for(user=request.user)
        return Response(NotificationSerializer(notifications, many=True).data)
