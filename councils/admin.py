"""The system administrator sets councils up: their members, plans and focus areas (none of
it is personal data). Status entries and meetings are the secretary's, on the council pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.permissions import ROLE_COUNCIL
from councils.models import CooperationPlan, Council, CouncilMembership, FocusArea
from councils.services import outside_council
from persons.categories import category_choices


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


class FocusAreaForm(forms.ModelForm[FocusArea]):
    """As the secretary's form: forums and agencies of the council's own municipalities only."""

    categories = forms.MultipleChoiceField(
        label=_("Bekymringskategorier"),
        choices=category_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = FocusArea
        fields = ["title", "description", "agencies", "forums", "categories", "order"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # The inline's plan carries the council chosen on the same page (saved or not).
        plan = getattr(self.instance, "plan", None)
        if plan is not None and plan.council_id is not None:
            outside = outside_council(
                plan.council, forums=data.get("forums", ()), agencies=data.get("agencies", ())
            )
            for name in outside:
                self.add_error(name, _("Vælg kun fora og myndigheder i rådets egne kommuner."))
        return data


class FocusAreaInline(admin.StackedInline[FocusArea, CooperationPlan]):
    model = FocusArea
    form = FocusAreaForm
    extra = 1
    filter_horizontal = ["agencies", "forums"]


@admin.register(CooperationPlan)
class CooperationPlanAdmin(admin.ModelAdmin[CooperationPlan]):
    list_display = ["title", "council", "period_start", "period_end"]
    list_filter = ["council"]
    inlines = [FocusAreaInline]
