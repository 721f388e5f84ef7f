from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency
from core.forms import DesignSystemFormMixin
from councils.models import CooperationPlan, Council, CouncilMeeting, FocusArea, FocusAreaStatus
from councils.selectors import area_agencies, area_forums
from forums.models import Forum
from persons.categories import category_choices

NOT_PERSONAL = _(
    "Skriv ikke navne eller andre personoplysninger her: rådets tekster er ikke krypterede og "
    "læses af alle rådets medlemmer."
)


class StatusForm(DesignSystemFormMixin, forms.ModelForm[FocusAreaStatus]):
    class Meta:
        model = FocusAreaStatus
        fields = ["written_on", "progress", "text", "meeting"]
        widgets = {"written_on": forms.DateInput(attrs={"type": "date"})}
        help_texts = {"text": NOT_PERSONAL}

    def __init__(self, *args: Any, council: Council, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        meeting = cast("forms.ModelChoiceField[CouncilMeeting]", self.fields["meeting"])
        meeting.queryset = CouncilMeeting.objects.filter(council=council)
        meeting.required = False


class MeetingForm(DesignSystemFormMixin, forms.ModelForm[CouncilMeeting]):
    class Meta:
        model = CouncilMeeting
        fields = ["held_on", "location", "agenda", "focus_areas", "minutes"]
        widgets = {
            "held_on": forms.DateInput(attrs={"type": "date"}),
            "focus_areas": forms.CheckboxSelectMultiple,
        }
        help_texts = {"agenda": NOT_PERSONAL, "minutes": NOT_PERSONAL}

    def __init__(self, *args: Any, council: Council, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        areas = cast("forms.ModelMultipleChoiceField[FocusArea]", self.fields["focus_areas"])
        areas.queryset = FocusArea.objects.filter(plan__council=council).select_related("plan")
        areas.required = False


class PlanForm(DesignSystemFormMixin, forms.ModelForm[CooperationPlan]):
    class Meta:
        model = CooperationPlan
        fields = ["title", "period_start", "period_end"]
        widgets = {
            "period_start": forms.DateInput(attrs={"type": "date"}),
            "period_end": forms.DateInput(attrs={"type": "date"}),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("Perioden kan ikke slutte, før den begynder."))
        return data


class FocusAreaFields(forms.ModelForm[FocusArea]):
    """A focus area's fields, categories as a choice of the configured ones (stored as a JSON
    list). Django admin's inline uses it as it is."""

    categories = forms.MultipleChoiceField(
        label=_("Bekymringskategorier"),
        choices=category_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = FocusArea
        fields = ["title", "description", "agencies", "forums", "categories", "order"]


class FocusAreaForm(DesignSystemFormMixin, FocusAreaFields):
    """A focus area of the council's plan on the secretary's page. Only the forums and
    agencies of the council's own municipalities can be chosen (a forum's figures are the
    council's only inside its area)."""

    class Meta(FocusAreaFields.Meta):
        widgets = {
            "agencies": forms.CheckboxSelectMultiple,
            "forums": forms.CheckboxSelectMultiple,
        }
        help_texts = {"description": NOT_PERSONAL}

    def __init__(self, *args: Any, council: Council, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agencies = cast("forms.ModelMultipleChoiceField[Agency]", self.fields["agencies"])
        agencies.queryset = area_agencies(council)
        forums = cast("forms.ModelMultipleChoiceField[Forum]", self.fields["forums"])
        forums.queryset = area_forums(council)
