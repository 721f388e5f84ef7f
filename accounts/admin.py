from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, Municipality, User


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin[Municipality]):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin[Agency]):
    list_display = ["name", "kind", "municipality", "is_self_governing"]
    list_filter = ["kind", "municipality"]
    list_select_related = ["municipality"]
    search_fields = ["name"]


@admin.register(User)
# The stubs bind UserAdmin to AbstractUser; ours is an AbstractBaseUser with email login.
class UserAdmin(DjangoUserAdmin[Any]):
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
    readonly_fields = ["last_login", "date_joined"]
