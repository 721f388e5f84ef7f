"""The one path to protected objects.

Every protected model has a queryset with ``restrict(user, action)`` implementing its access
rule (forums, persons, coordination each implement their own). Views and API endpoints reach
protected objects only through ``visible_to`` (lists) and ``get_object_for`` (single objects,
404 for what the user may not see, so existence is never revealed), inside views derived from
``ProtectedView`` (pages) or ``core.api.ProtectedAPIView`` (API); an architecture test fails for any other view.

DPOs, system administrators, council members and superusers never see content: every ``restrict`` starts with
``sees_no_content``. Reads and denials are announced through the signals below, which the
audit app records; a receiver that fails makes the read fail.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.dispatch import Signal
from django.http import Http404
from django.utils.translation import gettext_lazy as _lazy
from django.views import View

AnyUser = AbstractBaseUser | AnonymousUser
M = TypeVar("M", bound=models.Model)

ROLE_COORDINATOR = "coordinator"
ROLE_MEMBER = "member"
ROLE_DPO = "dpo"
ROLE_ADMIN = "admin"
ROLE_COUNCIL = "council"  # kredsråd/lokalråd members: councils' pages, no person content
CONTENT_BLIND_ROLES = frozenset({ROLE_DPO, ROLE_ADMIN, ROLE_COUNCIL})

# sender: the model class; kwargs: user, objects (list), action, reason (optional)
objects_accessed = Signal()
# sender: the model class; kwargs: user, pk, action
access_denied = Signal()


class Restrictable(Protocol[M]):  # type: ignore[misc]
    def restrict(self, user: Any, action: str = ...) -> models.QuerySet[M, Any]: ...


def roles_of(user: AnyUser) -> frozenset[str]:
    """The user's role names (groups), fetched once per user object."""
    if not user.is_authenticated:
        return frozenset()
    cached: frozenset[str] | None = getattr(user, "_tvaers_roles", None)
    if cached is None:
        groups = getattr(user, "groups", None)
        cached = (
            frozenset(groups.values_list("name", flat=True)) if groups is not None else frozenset()
        )
        setattr(user, "_tvaers_roles", cached)  # noqa: B010 - a cache on the user object
    return cached


def has_role(user: AnyUser, role: str) -> bool:
    return role in roles_of(user)


def sees_no_content(user: AnyUser) -> bool:
    """Anonymous, inactive, DPO, admin, council and superuser accounts see no protected
    content."""
    if not user.is_authenticated or not user.is_active:
        return True
    return bool(getattr(user, "is_superuser", False) or roles_of(user) & CONTENT_BLIND_ROLES)


def is_police(user: AnyUser) -> bool:
    agency = getattr(user, "agency", None)
    return agency is not None and agency.kind == "politi"


def may_search_across_forums(user: AnyUser) -> bool:
    """§ 115 stk. 2: police data is for prevention, so no bulk or cross-forum search."""
    return user.is_authenticated and not is_police(user)


def may_export(user: AnyUser) -> bool:
    return user.is_authenticated and not is_police(user) and not sees_no_content(user)


POLICE_LIST_REFUSAL = _lazy(
    "Politiet kan kun se ét forum ad gangen og kan ikke søge eller eksportere "
    "(retsplejelovens § 115, stk. 2). Vælg et forum."
)


def police_forum(user: AnyUser, forum_ids: list[int], requested: int | None) -> int | None:
    """The purpose lock on one object's page: a police account sees a person's part in one
    forum at a time — the one asked for, else the first — and nobody else is narrowed (None)."""
    if not is_police(user) or not forum_ids:
        return None
    return requested if requested in forum_ids else min(forum_ids)


def require_list_scope(
    user: AnyUser,
    model: type[models.Model],
    *,
    forum_given: bool,
    search: str = "",
    export: bool = False,
) -> None:
    """The purpose lock of § 115, stk. 2, the one rule for every list of person data: a police
    account lists one forum at a time, never searches by free text or CPR and never exports.
    A refused attempt is recorded (as a denial) and raises PermissionDenied."""
    if not is_police(user):
        return
    attempt = "export" if export else "search" if search else None if forum_given else "list"
    if attempt is None:
        return
    access_denied.send(sender=model, user=user, pk="*", action=f"{attempt}_across_forums")
    raise PermissionDenied(POLICE_LIST_REFUSAL)


def visible_to(
    user: AnyUser, queryset: models.QuerySet[M, Any], action: str = "view"
) -> models.QuerySet[M, Any]:
    """The part of ``queryset`` the user may ``action``; the one filter for lists."""
    restrict = getattr(queryset, "restrict", None)
    if restrict is None:
        raise TypeError(f"{queryset.model.__name__} has no restrict(): it is not a protected model")
    restricted: models.QuerySet[M, Any] = restrict(user, action)
    return restricted


def get_object_for(
    user: AnyUser,
    queryset: models.QuerySet[M, Any],
    pk: Any,
    action: str = "view",
    *,
    audit_as: str | None = None,
) -> M:
    """One object the user may ``action``, or 404 (also for objects that do not exist).

    With ``audit_as`` the read is recorded as that access action; a refusal is always recorded.
    """
    try:
        obj: M = visible_to(user, queryset, action).get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError, ValidationError) as missing:
        access_denied.send(sender=queryset.model, user=user, pk=str(pk)[:64], action=action)
        # Seen but not theirs to change: say so (403); existence is no secret to them. A pk
        # that is no id at all (ValueError and the like) was never anyone's: 404.
        if (
            action != "view"
            and isinstance(missing, ObjectDoesNotExist)
            and visible_to(user, queryset).filter(pk=pk).exists()
        ):
            raise PermissionDenied from None
        raise Http404 from None
    if audit_as:
        record_access(user, [obj], audit_as)
    return obj


def record_access(
    user: AnyUser,
    objects: list[Any],
    action: str,
    *,
    model: type[models.Model] | None = None,
    **details: Any,
) -> None:
    """Announce that ``objects`` were shown to ``user`` (one audit event per call). An empty
    result is recorded only for a search, whose criterion must be logged regardless."""
    model = model or (type(objects[0]) if objects else None)
    if model is not None and (objects or details.get("search_criterion")):
        objects_accessed.send(sender=model, user=user, objects=objects, action=action, **details)


class ProtectedView(LoginRequiredMixin, View):
    """Base of every page that shows or changes protected objects: login required, content-
    blind roles (DPO, admin) refused with 403, and objects reached only through
    ``visible_to``/``get_object_for`` (selectors)."""

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and sees_no_content(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)
