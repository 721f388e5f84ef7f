"""Login in two steps: email and password (Django's LoginView), then a one-time code. A user
without a second factor enrols first: QR code, confirmation with a code, ten backup codes
shown once. Until the second step is passed, core.otp lets the session reach nothing else."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView

from accounts import lockout, mfa
from accounts.forms import EnrolmentForm, LoginForm, OTPCodeForm
from accounts.models import User


def next_url(request: HttpRequest) -> str:
    """Where to go after the second step: a safe ``next`` or the start page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def with_next(url_name: str, target: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': target})}"


class LoginView(auth_views.LoginView):
    """Step one. Django's login() rotates the session key; step two follows."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        return with_next("accounts:otp", self.get_redirect_url() or next_url(self.request))


@method_decorator([never_cache, sensitive_post_parameters("code")], name="dispatch")
class OTPView(LoginRequiredMixin, FormView[OTPCodeForm]):
    """Step two: a TOTP code or a backup code (used up)."""

    template_name = "registration/otp.html"
    form_class = OTPCodeForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if isinstance(user, User):
            if mfa.session_is_verified(request):
                return HttpResponseRedirect(next_url(request))
            if not mfa.is_enrolled(user):
                return HttpResponseRedirect(with_next("accounts:otp-enrol", next_url(request)))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "next": next_url(self.request)}

    def form_valid(self, form: OTPCodeForm) -> HttpResponse:
        user = self.request.user
        assert isinstance(user, User)  # noqa: S101 - LoginRequiredMixin ran
        device = mfa.code_verify(request=self.request, user=user, code=form.cleaned_data["code"])
        if device is None and lockout.is_locked(self.request, user.email):
            logout(self.request)  # the password step must be passed again once the lock ends
            return lockout.lockout_response(self.request, None)
        if device is None:
            form.add_error("code", _("Koden er forkert eller udløbet. Prøv igen."))
            return self.form_invalid(form)
        mfa.session_verify(self.request, device)
        return HttpResponseRedirect(next_url(self.request))


@method_decorator([never_cache, sensitive_post_parameters("code")], name="dispatch")
class EnrolmentView(LoginRequiredMixin, FormView[EnrolmentForm]):
    """First login (or after an administrator's reset): set up the authenticator app."""

    template_name = "accounts/otp_enrol.html"
    form_class = EnrolmentForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if isinstance(request.user, User) and mfa.is_enrolled(request.user):
            # A second factor exists: replacing it takes an administrator's reset.
            return HttpResponseRedirect(with_next("accounts:otp", next_url(request)))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        assert isinstance(user, User)  # noqa: S101 - LoginRequiredMixin ran
        device = mfa.enrolment_device(user)
        return {
            **super().get_context_data(**kwargs),
            "qr_data_uri": mfa.qr_data_uri(device),
            "secret": mfa.secret_base32(device),
            "next": next_url(self.request),
        }

    def form_valid(self, form: EnrolmentForm) -> HttpResponse:
        user = self.request.user
        assert isinstance(user, User)  # noqa: S101 - LoginRequiredMixin ran
        device = mfa.enrolment_device(user)
        codes = mfa.enrolment_confirm(actor=user, device=device, code=form.cleaned_data["code"])
        if codes is None:
            form.add_error("code", _("Koden passer ikke. Tjek at telefonens ur går rigtigt."))
            return self.form_invalid(form)
        confirmed = mfa.confirmed_totp(user)
        assert confirmed is not None  # noqa: S101 - just confirmed
        mfa.session_verify(self.request, confirmed)
        # Shown in this response only, never stored in the session or sent again.
        return render(
            self.request,
            "accounts/otp_backup_codes.html",
            {"codes": codes, "next": next_url(self.request)},
        )
