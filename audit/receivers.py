"""Changes to accounts, recorded from the audit app (accounts imports no audit code).

Every save of a User and every change of its groups or permissions passes here, from Django
admin, a shell or a service alike: pre_save compares the stored row, m2m_changed sees the role
changes. The actor is django-auditlog's (the request's user, or the system user of a task), so
the change log and this chain name the same person. Two rules are enforced here as the last
line behind the admin forms: nobody changes their own roles, agency or access flags, and no
account holds a content-blind role together with a content role.
"""

from __future__ import annotations

from typing import Any

from auditlog import get_logentry_model
from auditlog.context import auditlog_value
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch.dispatcher import _make_id  # type: ignore[attr-defined]  # not in stubs
from django.utils.translation import gettext

from accounts.models import ROLE_CONFLICT_MESSAGE, Agency, User, roles_conflict
from accounts.signals import account_event
from audit.models import AccountEvent
from audit.services import account_event_record

Action = AccountEvent.Action
# Column -> the field name a save(update_fields=...) may give for it.
TRACKED = {
    "password": "password",
    "agency_id": "agency",
    "is_active": "is_active",
    "is_staff": "is_staff",
    "is_superuser": "is_superuser",
}
CHANGES_ATTR = "_tvaers_account_changes"
CLEARED_ATTR = "_tvaers_cleared"


def current_actor() -> User | None:
    """The user django-auditlog would record as the actor of a change made now.

    auditlog leaves its context variable set when a request or task ends and only disconnects
    the receiver that applies it; so the value counts only while that receiver is connected,
    exactly as for auditlog's own change log (no stale actor after a request)."""
    context = auditlog_value.get(None)
    if not context:
        return None
    key = (context.get("signal_duid"), _make_id(get_logentry_model()))
    if not any(entry[0] == key for entry in pre_save.receivers):
        return None
    actor = context.get("actor")
    return actor if isinstance(actor, User) and actor.is_authenticated else None


def _refuse_own(actor: User | None, user_ids: set[int] | list[int], what: str) -> None:
    if actor is not None and actor.pk in user_ids:
        raise PermissionDenied(
            gettext("Du kan ikke ændre %(what)s på din egen konto.") % {"what": what}
        )


# --- the user row ----------------------------------------------------------------------------


def user_pre_save(
    sender: type[User], instance: User, raw: bool = False, update_fields: Any = None, **_: Any
) -> None:
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not set(update_fields) & {*TRACKED, *TRACKED.values()}:
        return  # e.g. last_login at each login: nothing tracked, no query
    stored = User.objects.filter(pk=instance.pk).values(*TRACKED).first()
    if stored is None:
        return
    changes = {col: stored[col] for col in TRACKED if getattr(instance, col) != stored[col]}
    if "password" in changes and not _is_password_change(instance):
        del changes["password"]  # a hash upgrade at login, not a new password
    if changes.keys() - {"password"}:
        _refuse_own(current_actor(), {instance.pk}, gettext("myndighed eller adgang"))
    setattr(instance, CHANGES_ATTR, changes)


def _is_password_change(user: User) -> bool:
    # set_password() keeps the raw value until the save; Django clears it for a hash upgrade.
    # Disabling password login (set_unusable_password) leaves it empty but is a change.
    return getattr(user, "_password", None) is not None or not user.has_usable_password()


def user_post_save(
    sender: type[User], instance: User, created: bool = False, raw: bool = False, **_: Any
) -> None:
    if raw:
        return
    actor = current_actor()
    if created:
        account_event_record(
            actor=actor,
            target=instance,
            action=Action.CREATED,
            details={
                "agency_id": instance.agency_id,
                "is_active": instance.is_active,
                "is_staff": instance.is_staff,
                "is_superuser": instance.is_superuser,
                "password_usable": instance.has_usable_password(),
            },
        )
        return
    changes: dict[str, Any] = instance.__dict__.pop(CHANGES_ATTR, None) or {}
    for column, before in changes.items():
        _record_field_change(actor, instance, column, before)


def _record_field_change(actor: User | None, user: User, column: str, before: Any) -> None:
    after = getattr(user, column)
    also: list[int] = []
    if column == "password":
        action, details = Action.PASSWORD_CHANGED, {"password_usable": user.has_usable_password()}
    elif column == "agency_id":
        action, details = Action.AGENCY_CHANGED, {"from_agency_id": before, "to_agency_id": after}
        previous = Agency.objects.filter(pk=before).values_list("municipality_id", flat=True)
        also = list(previous)
    elif column == "is_active":
        action, details = (Action.ACTIVATED if after else Action.DEACTIVATED), {}
    elif column == "is_staff":
        action, details = Action.STAFF_CHANGED, {"from": before, "to": after}
    else:
        action, details = Action.SUPERUSER_CHANGED, {"from": before, "to": after}
    account_event_record(
        actor=actor, target=user, action=action, details=details, notify_municipality_ids=also
    )


# --- roles (groups) and direct permissions ------------------------------------------------------


def groups_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **_: Any
) -> None:
    """user.groups.add/remove/set/clear, or the same from the group's side (group.user_set)."""
    _on_m2m(instance, reverse, action, pk_set, "groups", Action.ROLES_CHANGED, gettext("roller"))


def permissions_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **_: Any
) -> None:
    """Direct permissions on a user (not editable in admin; recorded if set any other way)."""
    _on_m2m(
        instance,
        reverse,
        action,
        pk_set,
        "user_permissions",
        Action.PERMISSIONS_CHANGED,
        gettext("rettigheder"),
    )


def _on_m2m(
    instance: Any,
    reverse: bool,
    action: str,
    pk_set: set[int] | None,
    field: str,
    event_action: str,
    what: str,
) -> None:
    if action == "pre_clear":
        _remember_cleared(instance, reverse, field)
    changed, user_ids = _change(instance, reverse, action, pk_set)
    if not changed:
        return  # e.g. add() of a group the user already has
    if action.startswith("pre_"):
        _refuse_own(current_actor(), user_ids, what)
        if action == "pre_add" and field == "groups":
            _refuse_role_conflict(changed, user_ids)
        return
    if action == "post_clear":
        instance.__dict__.pop(CLEARED_ATTR, None)
    if not reverse:
        instance.__dict__.pop("_tvaers_roles", None)  # core.permissions' per-object role cache
    names = _names(field, changed)
    key = "added" if action == "post_add" else "removed"
    actor = current_actor()
    users = User.objects.filter(pk__in=user_ids)
    for user in users.prefetch_related("groups") if field == "groups" else users:
        details: dict[str, Any] = {key: names}
        if field == "groups":
            details["roles"] = sorted(group.name for group in user.groups.all())
        account_event_record(actor=actor, target=user, action=event_action, details=details)


def _change(
    instance: Any, reverse: bool, action: str, pk_set: set[int] | None
) -> tuple[set[int], list[int]]:
    """(ids of the groups or permissions changed, ids of the users they changed on)."""
    if action.endswith("_clear"):
        ids = set(getattr(instance, CLEARED_ATTR, ()))
    else:
        ids = set(pk_set or ())
    if reverse:  # instance is the group or permission, the ids are users
        return ({instance.pk} if ids else set()), sorted(ids)
    return ids, ([instance.pk] if ids else [])


def _remember_cleared(instance: Any, reverse: bool, field: str) -> None:
    """Before a clear, what it will remove (the clear signals carry no ids)."""
    related = instance.user_set if reverse else getattr(instance, field)
    setattr(instance, CLEARED_ATTR, set(related.values_list("pk", flat=True)))


def _refuse_role_conflict(group_ids: set[int], user_ids: list[int]) -> None:
    added = set(Group.objects.filter(pk__in=group_ids).values_list("name", flat=True))
    for user in User.objects.filter(pk__in=user_ids).prefetch_related("groups"):
        if roles_conflict(added | {group.name for group in user.groups.all()}):
            raise ValidationError(ROLE_CONFLICT_MESSAGE)


def _names(field: str, ids: set[int]) -> list[str]:
    if field == "user_permissions":
        rows = Permission.objects.filter(pk__in=ids).values_list(
            "content_type__app_label", "codename"
        )
        return sorted(f"{app}.{codename}" for app, codename in rows)
    return sorted(Group.objects.filter(pk__in=ids).values_list("name", flat=True))


# --- other account events (second factor, lockout, tokens): accounts.signals ------------------


def on_account_event(
    sender: Any,
    *,
    actor: User | None,
    target: User,
    action: str,
    details: dict[str, Any] | None = None,
    **_: Any,
) -> None:
    account_event_record(actor=actor, target=target, action=Action(action), details=details)


def connect() -> None:
    account_event.connect(on_account_event, dispatch_uid="audit-account-event")
    pre_save.connect(user_pre_save, sender=User, dispatch_uid="audit-account-pre-save")
    post_save.connect(user_post_save, sender=User, dispatch_uid="audit-account-post-save")
    m2m_changed.connect(
        groups_changed, sender=User.groups.through, dispatch_uid="audit-account-groups"
    )
    m2m_changed.connect(
        permissions_changed,
        sender=User.user_permissions.through,
        dispatch_uid="audit-account-permissions",
    )
