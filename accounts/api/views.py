from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import generics, permissions, serializers

from accounts.models import Agency
from core.api import ProtectedAPIView


class AgencySerializer(serializers.ModelSerializer[Agency]):
    municipality = serializers.CharField(source="municipality.name", read_only=True)

    class Meta:
        model = Agency
        fields = ["id", "name", "kind", "municipality", "is_self_governing"]


class AgencyListView(ProtectedAPIView, generics.ListAPIView[Agency]):
    """Agencies are not personal data: every user may list them (to pick a source agency)."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = AgencySerializer

    def get_queryset(self) -> QuerySet[Agency, Any]:
        return Agency.objects.select_related("municipality")
