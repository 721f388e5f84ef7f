"""The request's user in one query: with their agency, their roles and their current forum
memberships (issue 12).

Every page asks who the user is (roles: ``core.permissions.roles_of``), which agency they
belong to (police rules) and which forums they are a member of now (the permission filters,
``persons.models.member_forum_ids``). Loaded per request with the user, they cost no query
of their own and are as fresh as the request: a membership ended or a role removed counts from
the user's next request. Objects loaded any other way (services, tasks, tests) carry none of
this and ask the database each time."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Concat

from accounts.models import User
from core.sql import JsonList
from forums.models import Membership

ROLES_ATTR = "_tvaers_roles"  # read by core.permissions.roles_of
FORUM_ROLES_ATTR = "_tvaers_forum_roles"  # read by persons.models.member_forum_ids


def _gathered(queryset: Any, expression: Any) -> Subquery:
    return Subquery(
        queryset.order_by().values("user_id").annotate(listed=JsonList(expression)).values("listed")
    )


class RequestUserBackend(ModelBackend):
    """Django's model backend, with the request's user loaded as described above."""

    def get_user(self, user_id: Any) -> User | None:
        user_groups = User.groups.through.objects.filter(user_id=OuterRef("pk"))
        memberships = Membership.objects.current().filter(user_id=OuterRef("pk"))
        user = (
            User._default_manager.select_related("agency")
            .annotate(
                tvaers_roles=_gathered(user_groups, "group__name"),
                tvaers_forums=_gathered(memberships, Concat("forum_id", Value(":"), "role")),
            )
            .filter(pk=user_id)
            .first()
        )
        if user is None or not self.user_can_authenticate(user):
            return None
        roles: list[str] = _listed(getattr(user, "tvaers_roles", None))
        setattr(user, ROLES_ATTR, frozenset(roles))
        setattr(user, FORUM_ROLES_ATTR, _forum_roles(_listed(getattr(user, "tvaers_forums", None))))
        return user


def _listed(value: Any) -> list[str]:
    """A gathered JSON list (text); None when there was nothing to gather."""
    return [str(item) for item in json.loads(value)] if value else []


def _forum_roles(items: list[str]) -> dict[int, frozenset[str]]:
    """``["12:member", "15:chair"]`` → ``{12: {"member"}, 15: {"chair"}}``."""
    roles: dict[int, set[str]] = {}
    for item in items:
        forum_id, _, role = item.partition(":")
        roles.setdefault(int(forum_id), set()).add(role)
    return {forum_id: frozenset(names) for forum_id, names in roles.items()}
