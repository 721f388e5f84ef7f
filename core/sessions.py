"""Session lifetime, enforced on the server: an idle timeout (SESSION_IDLE_MINUTES) and an
absolute lifetime from login (SESSION_MAX_HOURS), whatever the browser keeps.

Each session of a logged-in user is indexed in ``core.models.UserSession`` so that all of one
user's sessions can be ended at once: "log out everywhere", and whenever the user's roles,
direct permissions, agency or access flags change (a session must not keep privileges the
account no longer has, nor gain new ones without a fresh login). Django itself rotates the
session key at login (``cycle_key``) and ends other sessions on a password change (the session
auth hash). The index, not a scan of the session table: decoding every session to find one
user's is slow, ties us to the database session engine, and reads everyone's session data.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from importlib import import_module
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, get_user_model, logout
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.sessions.backends.base import SessionBase
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import UserSession

LOGIN_AT = "_tvaers_login_at"  # epoch seconds of the login
SEEN_AT = "_tvaers_seen_at"  # epoch seconds of the last request (written at most each minute)
INDEXED_KEY = "_tvaers_indexed_key"  # the session key last written to the index
SEEN_WRITE_INTERVAL = 60  # seconds: a page view does not rewrite the session every time
API_PREFIX = "/api/"
# Account columns whose change ends the user's sessions (roles and permissions: m2m below).
PRIVILEGE_FIELDS = ("is_active", "is_staff", "is_superuser", "agency_id")
_CHANGED_ATTR = "_tvaers_privileges_changed"
_CLEARED_ATTR = "_tvaers_sessions_cleared_users"


def idle_seconds() -> int:
    return int(settings.SESSION_IDLE_MINUTES) * 60


def max_seconds() -> int:
    return int(settings.SESSION_MAX_HOURS) * 3600


def _store() -> Callable[..., SessionBase]:
    store: Callable[..., SessionBase] = import_module(settings.SESSION_ENGINE).SessionStore
    return store


# --- the index -----------------------------------------------------------------------------


def session_index(request: HttpRequest, user_id: Any) -> None:
    """Record the request's session as the user's (after login, or after Django changed the
    key, e.g. on a password change)."""
    session = request.session
    if session.session_key is None:
        session.save()
    key = session.session_key
    if key is None:  # a session engine without server-side keys: nothing to index
        return
    previous = session.get(INDEXED_KEY)
    if previous and previous != key:
        UserSession.objects.filter(session_key=previous).delete()
    UserSession.objects.update_or_create(session_key=key, defaults={"user_id": user_id})
    session[INDEXED_KEY] = key


def sessions_end(user_id: Any, *, keep: str | None = None) -> int:
    """End every indexed session of the user (except ``keep``); returns how many."""
    rows = UserSession.objects.filter(user_id=user_id)
    if keep:
        rows = rows.exclude(session_key=keep)
    keys = list(rows.values_list("session_key", flat=True))
    store = _store()
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(session_key__in=keys).delete()
    return len(keys)


def _prune(user_id: Any) -> None:
    """Index rows of sessions past their absolute lifetime are dead in any case."""
    cutoff = timezone.now() - timedelta(seconds=max_seconds())
    UserSession.objects.filter(user_id=user_id, created_at__lt=cutoff).delete()


def on_logged_in(sender: Any, request: HttpRequest, user: Any, **_: Any) -> None:
    if not hasattr(request, "session"):
        return
    now = int(time.time())
    request.session[LOGIN_AT] = now
    request.session[SEEN_AT] = now
    _prune(user.pk)
    session_index(request, user.pk)


def on_logged_out(sender: Any, request: HttpRequest | None, **_: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        UserSession.objects.filter(session_key=session.session_key).delete()


# --- a change of privileges ends the user's sessions -----------------------------------------


def _privileges_pre_save(
    sender: Any, instance: Any, raw: bool = False, update_fields: Any = None, **_: Any
) -> None:
    if raw or instance._state.adding or instance.pk is None:
        return
    names = {*PRIVILEGE_FIELDS, "agency"}
    if update_fields is not None and not set(update_fields) & names:
        return  # e.g. last_login at each login: no query
    stored = sender.objects.filter(pk=instance.pk).values(*PRIVILEGE_FIELDS).first()
    if stored is not None and any(
        getattr(instance, field) != stored[field] for field in PRIVILEGE_FIELDS
    ):
        setattr(instance, _CHANGED_ATTR, True)


def _privileges_post_save(sender: Any, instance: Any, raw: bool = False, **_: Any) -> None:
    if not raw and instance.__dict__.pop(_CHANGED_ATTR, False):
        sessions_end(instance.pk)


def _m2m_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[Any] | None, **_: Any
) -> None:
    """Roles (groups) or direct permissions added, removed or cleared, from either side."""
    if action == "pre_clear" and reverse:
        setattr(instance, _CLEARED_ATTR, list(instance.user_set.values_list("pk", flat=True)))
        return
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    user_ids: Iterable[Any]
    if not reverse:
        if action != "post_clear" and not pk_set:
            return  # add() of what the user already had
        user_ids = [instance.pk]
    elif action == "post_clear":
        user_ids = instance.__dict__.pop(_CLEARED_ATTR, [])
    else:
        user_ids = pk_set or []
    for user_id in user_ids:
        sessions_end(user_id)


def connect() -> None:
    user_model = get_user_model()
    user_logged_in.connect(on_logged_in, dispatch_uid="core-session-login")
    user_logged_out.connect(on_logged_out, dispatch_uid="core-session-logout")
    pre_save.connect(_privileges_pre_save, sender=user_model, dispatch_uid="core-session-pre")
    post_save.connect(_privileges_post_save, sender=user_model, dispatch_uid="core-session-post")
    for through in (user_model.groups.through, user_model.user_permissions.through):
        m2m_changed.connect(
            _m2m_changed, sender=through, dispatch_uid=f"core-session-m2m-{through.__name__}"
        )


# --- enforcement -------------------------------------------------------------------------


def expired(session: SessionBase, now: int) -> bool:
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if not isinstance(login_at, int) or not isinstance(seen_at, int):
        return True  # not made by login(): fail closed
    return now - login_at >= max_seconds() or now - seen_at >= idle_seconds()


class SessionTimeoutMiddleware:
    """Ends a logged-in session that has been idle too long or lived past its absolute
    lifetime: pages go to the login page with a message, the API answers 401. Runs after the
    authentication and message middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session:
            now = int(time.time())
            if expired(session, now):
                return self._expire(request)
            if now - session[SEEN_AT] >= SEEN_WRITE_INTERVAL:
                session[SEEN_AT] = now
            if session.session_key and session.get(INDEXED_KEY) != session.session_key:
                session_index(request, session[SESSION_KEY])
        return self.get_response(request)

    def _expire(self, request: HttpRequest) -> HttpResponse:
        logout(request)
        message = _("Du er blevet logget ud, fordi din session er udløbet. Log ind igen.")
        if request.path_info.startswith(API_PREFIX):
            refusal = JsonResponse({"detail": message}, status=401)
            refusal["WWW-Authenticate"] = "Session"
            return refusal
        messages.info(request, message)
        target = request.get_full_path() if request.method == "GET" else "/"
        login = f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': target})}"
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = login
            return response
        return HttpResponseRedirect(login)
