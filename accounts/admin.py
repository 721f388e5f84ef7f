"""Administration of accounts and agencies: content-blind by construction (no content model is
registered), and unable to raise itself: superuser status and direct permissions are not
editable, nobody edits their own roles, agency or access flags, and every change to an account
is recorded in the AccountEvent chain (audit.receivers) with the DPOs told."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db import router, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

import accounts.admin_lockout  # noqa: F401  # login lockouts
from accounts import mfa
from accounts.forms import AccountChangeForm
from accounts.models import Agency, Municipality, PoliceDistrict, Region, User, acting_user

# Device pages would show TOTP secrets and backup codes: the second factor is reset from the
# user (action below), never read or edited.
for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)


@admin.register(PoliceDistrict)
class PoliceDistrictAdmin(admin.ModelAdmin[PoliceDistrict]):
    search_fields = ["name"]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin[Region]):
    search_fields = ["name"]


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin[Municipality]):
    list_display = ["code", "name", "police_district", "region"]
    list_filter = ["police_district", "region"]
    list_select_related = ["police_district", "region"]
    search_fields = ["code", "name"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin[Agency]):
    """Kind, municipality and self-governance lock once the agency is in use (Agency.clean)."""

    list_display = [
        "name",
        "kind",
        "municipality",
        "police_district",
        "region",
        "is_self_governing",
    ]
    list_filter = ["kind", "municipality", "police_district", "region"]
    list_select_related = ["municipality", "police_district", "region"]
    search_fields = ["name"]


@admin.register(User)
# The stubs bind UserAdmin to AbstractUser; ours is an AbstractBaseUser with email login.
class UserAdmin(DjangoUserAdmin[Any]):
    form = AccountChangeForm
    ordering = ["full_name"]
    list_display = ["email", "full_name", "agency", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "groups", "agency__kind"]
    list_select_related = ["agency"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Person"), {"fields": ("full_name", "agency")}),
        (_("Roller"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Datoer"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "agency", "password1", "password2"),
            },
        ),
    )
    # Shown, never edited here: superuser status only by `createsuperuser` on the server, and
    # direct permissions not at all (roles are groups).
    readonly_fields = ["is_superuser", "last_login", "date_joined"]
    filter_horizontal = ["groups"]
    actions = ["reset_second_factor"]

    @admin.action(description=_("Nulstil totrinsbekræftelse (brugeren får en e-mail)"))
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """Delete the chosen users' TOTP device and backup codes (accounts.mfa): recorded as
        OTP_RESET, the user told by email. Never one's own; a superuser's only by a superuser."""
        actor = request.user
        assert isinstance(actor, User)  # noqa: S101 - admin views require a staff user
        done = 0
        for target in queryset.order_by("pk"):
            if not self.has_change_permission(request, target):
                self.message_user(
                    request,
                    gettext("Du må ikke nulstille totrinsbekræftelsen for %(user)s.")
                    % {"user": target.email},
                    messages.ERROR,
                )
                continue
            try:
                mfa.second_factor_reset(actor=actor, target=target)
            except PermissionDenied as refused:
                self.message_user(request, str(refused), messages.ERROR)
                continue
            done += 1
        if done:
            self.message_user(
                request,
                gettext("Totrinsbekræftelsen er nulstillet for %(count)d bruger(e).")
                % {"count": done},
                messages.SUCCESS,
            )

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if isinstance(form, type) and issubclass(form, AccountChangeForm):
            form.actor = acting_user(request)  # a fresh form class per call
        return form

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A superuser account (and its password) is changed only by a superuser: otherwise a
        # password reset would be a way up.
        if isinstance(obj, User) and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        # One transaction: the new password and its AccountEvent row commit together.
        with transaction.atomic(using=router.db_for_write(self.model)):
            response: HttpResponse = super().user_change_password(request, id, form_url)
        return response
