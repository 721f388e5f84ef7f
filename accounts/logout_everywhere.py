""" "Log out everywhere": end every session of the user (core.sessions' index), revoke every API
token (accounts.tokens), and record LOGGED_OUT_EVERYWHERE on the AccountEvent chain (through
accounts.signals, which audit receives). For a lost or shared device, or a suspicion that
someone else used the account."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from accounts.models import User
from accounts.signals import account_event
from accounts.tokens import tokens_revoke_all
from core.sessions import sessions_end


@transaction.atomic
def logout_everywhere(*, actor: User) -> dict[str, int]:
    """End all of ``actor``'s sessions and tokens; how many of each."""
    ended = {
        "sessions": sessions_end(actor.pk),
        "tokens": tokens_revoke_all(actor=actor, user=actor),
    }
    account_event.send(
        sender=User, actor=actor, target=actor, action="logged_out_everywhere", details=ended
    )
    return ended


class LogoutEverywhereView(LoginRequiredMixin, TemplateView):
    """GET explains, POST (with CSRF) does it; the current session ends too."""

    template_name = "accounts/logout_everywhere.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        assert isinstance(user, User)  # noqa: S101 - LoginRequiredMixin ran
        logout_everywhere(actor=user)
        logout(request)
        messages.success(
            request, _("Du er logget ud på alle enheder, og dine API-nøgler er ugyldige.")
        )
        return HttpResponseRedirect(reverse("accounts:login"))
