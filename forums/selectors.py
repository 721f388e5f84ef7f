"""Reads of forums and memberships, always through core.permissions."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from core.permissions import AnyUser, get_object_for, visible_to
from forums.models import Forum, Membership


def forum_list_for(*, user: AnyUser) -> QuerySet[Forum, Any]:
    return visible_to(user, Forum.objects.select_related("municipality")).annotate(
        open_case_files=Count("case_files", filter=Q(case_files__closed_at__isnull=True))
    )


def forum_choices_for(*, user: AnyUser) -> QuerySet[Forum, Any]:
    """The user's forums for a filter's choices: as ``forum_list_for``, without counting each
    forum's case files (the person list asks this on every page)."""
    return visible_to(user, Forum.objects.select_related("municipality"))


def forums_managed_by(*, user: AnyUser) -> QuerySet[Forum, Any]:
    """Forums where the user is chair or coordinator now."""
    return visible_to(user, Forum.objects.select_related("municipality"), "change")


def forum_get_for(*, user: AnyUser, pk: Any, action: str = "view") -> Forum:
    return get_object_for(user, Forum.objects.select_related("municipality"), pk, action)


def forum_members(*, user: AnyUser, forum: Forum) -> QuerySet[Membership, Any]:
    return (
        visible_to(user, Membership.objects.current().filter(forum=forum))
        .select_related("user__agency")
        .order_by("role", "user__full_name")
    )


def receiving_agency_ids(forum_id: int) -> set[int]:
    """Agencies of the forum's current members: who receives what is shared there now."""
    return set(
        Membership.objects.current()
        .filter(forum_id=forum_id, user__agency__isnull=False)
        .values_list("user__agency_id", flat=True)
    )
