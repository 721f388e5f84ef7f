"""Brute-force protection around django-axes: after LOGIN_FAILURE_LIMIT failed logins within
LOGIN_LOCKOUT_HOURS the account is locked, and so is the client address (each counted on its
own). Failures count at the password, at the second factor and at the API token endpoint.
A lock reaching an existing account, and its lifting by an administrator, are AccountEvents
(LOCKED_OUT, LOCKOUT_LIFTED); the page shown never says whether the account exists."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from axes.handlers.proxy import AxesProxyHandler  # type: ignore[import-untyped]
from axes.helpers import get_cool_off  # type: ignore[import-untyped]
from axes.models import (  # type: ignore[import-untyped]
    AccessAttempt,
    AccessFailureLog,
    AccessLog,
)
from axes.signals import user_locked_out  # type: ignore[import-untyped]
from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.signals import account_event

logger = logging.getLogger(__name__)


def _django_request(request: Any) -> HttpRequest:
    # A DRF Request wraps the HttpRequest; axes flags (axes_locked_out) must land on the latter,
    # which AxesMiddleware reads.
    inner: HttpRequest = getattr(request, "_request", request)
    return inner


def normalised_email(value: object) -> str | None:
    return value.strip().lower() or None if isinstance(value, str) else None


def attempted_email(request: Any, credentials: dict[str, Any] | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the address a login was tried for, lower-cased so that case
    variants count as one account. Django's login form names the field ``username``, the API
    ``email``."""
    if credentials:
        return normalised_email(credentials.get("email") or credentials.get("username"))
    if request is None:
        return None
    data = getattr(request, "data", None) or getattr(request, "POST", {})
    try:
        return normalised_email(data.get("email") or data.get("username"))
    except AttributeError:  # e.g. a JSON list body
        return None


def record_failure(request: Any, email: str) -> None:
    """Count one failed login for ``email`` from this request's address, e.g. a wrong second
    factor code. On reaching the limit the request is flagged and AxesMiddleware answers with
    the lockout page (or, on the API, 429)."""
    AxesProxyHandler.user_login_failed(
        sender=__name__, credentials={"email": email}, request=_django_request(request)
    )


def is_locked(request: Any, email: str) -> bool:
    """The account ``email`` or this request's address is locked."""
    return not AxesProxyHandler.is_allowed(_django_request(request), {"email": email})


def failures(*, email: str | None = None, ip_address: str | None = None) -> int:
    """Failed logins counted now against an account or an address."""
    if email is None and ip_address is None:
        return 0
    attempts = AccessAttempt.objects.all()
    cool_off = get_cool_off()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    if email is not None:
        attempts = attempts.filter(username=email)
    if ip_address is not None:
        attempts = attempts.filter(ip_address=ip_address)
    total: int | None = attempts.aggregate(total=Sum("failures_since_start"))["total"]
    return total or 0


def on_locked_out(
    sender: Any, *, request: Any, username: str | None, ip_address: str | None, **_: Any
) -> None:
    """axes' user_locked_out: sent at every failure at or over the limit. Recorded once per
    lock, when the account's or the address's count reaches the limit exactly."""
    limit = settings.AXES_FAILURE_LIMIT
    by = [
        parameter
        for parameter, count in (
            ("account", failures(email=username) if username else 0),
            ("address", failures(ip_address=ip_address) if ip_address else 0),
        )
        if count == limit
    ]
    if not by:
        return  # already locked: a further attempt, not a new lock
    user = User.objects.filter(email__iexact=username).first() if username else None
    logger.warning(
        "Login locked after %d failures (by %s, %s account).",
        limit,
        " and ".join(by),
        "existing" if user is not None else "unknown",
    )
    if user is not None:
        account_event.send(
            sender=User,
            actor=None,
            target=user,
            action="locked_out",
            details={"by": by, "failures": limit, "hours": settings.LOGIN_LOCKOUT_HOURS},
        )


user_locked_out.connect(on_locked_out, dispatch_uid="accounts-locked-out")


@transaction.atomic
def lockout_lift(*, actor: User | None, email: str) -> int:
    """Lift the lock of the account ``email``: its failed attempts are forgotten (from every
    address, so they no longer count against those addresses either). Recorded as
    LOCKOUT_LIFTED when the address is an account's; the number of attempt rows removed."""
    email = normalised_email(email) or ""
    if not email:
        return 0
    removed: int = AxesProxyHandler.reset_attempts(username=email)
    user = User.objects.filter(email__iexact=email).first()
    if user is not None and removed:
        account_event.send(
            sender=User,
            actor=actor,
            target=user,
            action="lockout_lifted",
            details={"attempts_removed": removed},
        )
    return removed


@transaction.atomic
def address_lockout_lift(*, actor: User | None, ip_address: str) -> int:
    """Lift the lock of a client address (its attempts under every account are forgotten).
    Recorded as LOCKOUT_LIFTED on each existing account that had attempts from it."""
    emails = set(
        AccessAttempt.objects.filter(ip_address=ip_address).values_list("username", flat=True)
    )
    removed: int = AxesProxyHandler.reset_attempts(ip_address=ip_address)
    for user in User.objects.filter(email__in=[e for e in emails if e]):
        account_event.send(
            sender=User,
            actor=actor,
            target=user,
            action="lockout_lifted",
            details={"attempts_removed": removed, "by": "address"},
        )
    return removed


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the same answer whether or not the account exists. The API gets
    its error shape with 429 and Retry-After; the browser the Danish lockout page."""
    hours = settings.LOGIN_LOCKOUT_HOURS
    message = _(
        "Login er midlertidigt spærret efter for mange mislykkede forsøg. Prøv igen om "
        "%(hours)d timer, eller kontakt din administrator."
    ) % {"hours": hours}
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"detail": message, "errors": {"non_field_errors": [message]}}, status=429
        )
    else:
        response = render(
            request,
            settings.AXES_LOCKOUT_TEMPLATE,
            {"message": message, "hours": hours},
            status=429,
        )
    response["Retry-After"] = str(hours * 3600)
    return response


def login_logs_prune(before: datetime) -> int:
    """Delete django-axes' login history (successful logins and failures, with address and
    browser) older than ``before``: kept as long as the access log (audit.retention), no
    longer. The lock counters (AccessAttempt) expire by themselves."""
    logins, _ = AccessLog.objects.filter(attempt_time__lt=before).delete()
    failures, _ = AccessFailureLog.objects.filter(attempt_time__lt=before).delete()
    return int(logins + failures)
