"""The system administrator sets councils up with their members. Plans and focus areas are
the secretary's, on the council pages; here the administrator can correct or delete them, under
the same rule for forums and agencies (none of it is personal data)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.permissions import ROLE_COUNCIL
from councils.forms import FocusAreaFields
from councils.models import CooperationPlan, Council, CouncilMembership, FocusArea
from councils.services import outside_council


class MembershipFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    """Council members hold the council role, and nobody makes themselves a member (as nobody
    changes their own forum memberships)."""

    request_user_id: int | None = None

    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            user = data.get("user")
            if user is None or data.get("DELETE"):
                continue
            if user.pk == self.request_user_id:
                form.add_error("user", _("Du kan ikke give dig selv et medlemskab af et råd."))
            elif not user.groups.filter(name=ROLE_COUNCIL).exists():
                form.add_error(
                    "user", _("Kun brugere med rollen rådsmedlem kan være medlem af et råd.")
                )


class MembershipInline(admin.TabularInline[CouncilMembership, Council]):
    model = CouncilMembership
    formset = MembershipFormSet
    extra = 1
    autocomplete_fields = ["user"]

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        formset.request_user_id = request.user.pk  # type: ignore[attr-defined]
        return formset


@admin.register(Council)
class CouncilAdmin(admin.ModelAdmin[Council]):
    list_display = ["name", "kind", "police_district", "municipality"]
    list_filter = ["kind"]
    search_fields = ["name"]
    inlines = [MembershipInline]


class FocusAreaFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    """As on the secretary's pages: forums and agencies of the council's own municipalities
    only. Checked against the plan's council as chosen on this page (``self.instance`` is the
    plan built from the page, saved or not), so neither a new plan nor a plan moved to another
    council takes another area's forums along; every area is checked, changed or not."""

    def clean(self) -> None:
        super().clean()
        council_id: int | None = getattr(self.instance, "council_id", None)
        council = Council.objects.filter(pk=council_id).first() if council_id else None
        if council is None:
            return  # the plan's own form reports the missing council
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE"):
                continue
            outside = outside_council(
                council, forums=data.get("forums", ()), agencies=data.get("agencies", ())
            )
            for name in outside:
                form.add_error(name, _("Vælg kun fora og myndigheder i rådets egne kommuner."))


class FocusAreaInline(admin.StackedInline[FocusArea, CooperationPlan]):
    model = FocusArea
    form = FocusAreaFields
    formset = FocusAreaFormSet
    extra = 1
    filter_horizontal = ["agencies", "forums"]


@admin.register(CooperationPlan)
class CooperationPlanAdmin(admin.ModelAdmin[CooperationPlan]):
    list_display = ["title", "council", "period_start", "period_end"]
    list_filter = ["council"]
    inlines = [FocusAreaInline]
