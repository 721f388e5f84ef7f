"""The system administrator sets councils up: their members, plans and focus areas (none of
it is personal data). Status entries and meetings are the secretary's, on the council pages."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from councils.models import CooperationPlan, Council, CouncilMembership, FocusArea
from persons.categories import category_choices


class MembershipInline(admin.TabularInline[CouncilMembership, Council]):
    model = CouncilMembership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Council)
class CouncilAdmin(admin.ModelAdmin[Council]):
    list_display = ["name", "kind", "police_district", "municipality"]
    list_filter = ["kind"]
    search_fields = ["name"]
    inlines = [MembershipInline]


class FocusAreaForm(forms.ModelForm[FocusArea]):
    categories = forms.MultipleChoiceField(
        label=_("Bekymringskategorier"),
        choices=category_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = FocusArea
        fields = ["title", "description", "agencies", "forums", "categories", "order"]


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
