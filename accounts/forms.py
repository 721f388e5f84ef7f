from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from accounts.models import ROLE_CONFLICT_MESSAGE, User, roles_conflict


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    password = forms.CharField(
        label=_("Adgangskode"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("E-mail eller adgangskode er forkert."),
        "inactive": _("Brugeren er deaktiveret. Kontakt din administrator."),
    }


class AccountChangeForm(UserChangeForm[User]):
    """The admin's form for a user. ``actor`` (set by the admin) may not change their own
    roles, agency or access flags, and no account holds a content-blind role together with a
    content role; the audit app's receivers refuse both again below the form."""

    actor: User | None = None
    SELF_LOCKED = frozenset({"agency", "groups", "is_active", "is_staff", "is_superuser"})

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self.actor is not None and self.actor.pk == self.instance.pk:
            for name in sorted(self.SELF_LOCKED.intersection(self.changed_data)):
                self.add_error(
                    name, _("Du kan ikke ændre dine egne roller, din myndighed eller din adgang.")
                )
        groups = cleaned.get("groups")
        if groups is not None and roles_conflict(group.name for group in groups):
            self.add_error("groups", ROLE_CONFLICT_MESSAGE)
        return cleaned


class OTPCodeForm(forms.Form):
    """The second step of the login: a code from the authenticator app or a backup code."""

    code = forms.CharField(
        label=_("Engangskode"),
        help_text=_("De 6 cifre fra din godkendelsesapp, eller en af dine backupkoder."),
        max_length=32,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autofocus": True,
                "inputmode": "text",
                "class": "form-input input-width-s",
                "spellcheck": "false",
            }
        ),
        error_messages={"required": _("Skriv koden.")},
    )


class EnrolmentForm(forms.Form):
    code = forms.CharField(
        label=_("Kode fra appen"),
        help_text=_("Skriv de 6 cifre, som appen viser nu."),
        max_length=16,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "class": "form-input input-width-s",
            }
        ),
        error_messages={"required": _("Skriv koden fra appen.")},
    )
