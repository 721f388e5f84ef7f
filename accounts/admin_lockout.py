"""Administration of login lockouts: django-axes' access attempts with an action that lifts the
lock (accounts.lockout, recorded as LOCKOUT_LIFTED with the administrator as actor). Imported
by accounts.admin."""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin  # type: ignore[import-untyped]
from axes.models import AccessAttempt  # type: ignore[import-untyped]
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.lockout import address_lockout_lift, lockout_lift
from accounts.models import acting_user


class LockoutAdmin(AccessAttemptAdmin):
    # The form data axes keeps (masked) is of no use here; the attempt is enough.
    fieldsets = (
        (None, {"fields": ("username", "path_info", "failures_since_start", "attempt_time")}),
        (_("Klient"), {"fields": ("ip_address", "user_agent")}),
    )
    actions = ["lift_account_lock", "lift_address_lock"]

    @admin.action(description=_("Ophæv spærringen af de valgte konti"), permissions=["delete"])
    def lift_account_lock(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        actor = acting_user(request)
        emails = sorted({e for e in queryset.values_list("username", flat=True) if e})
        for email in emails:
            lockout_lift(actor=actor, email=email)
        self.message_user(
            request,
            gettext("Spærringen er ophævet for %(count)d konto(er).") % {"count": len(emails)},
            messages.SUCCESS,
        )

    @admin.action(description=_("Ophæv spærringen af de valgte adresser"), permissions=["delete"])
    def lift_address_lock(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        actor = acting_user(request)
        addresses = sorted({a for a in queryset.values_list("ip_address", flat=True) if a})
        for address in addresses:
            address_lockout_lift(actor=actor, ip_address=address)
        self.message_user(
            request,
            gettext("Spærringen er ophævet for %(count)d adresse(r).") % {"count": len(addresses)},
            messages.SUCCESS,
        )


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, LockoutAdmin)
