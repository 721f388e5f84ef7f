from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DesignSystemFormMixin
from councils.models import Council, CouncilMeeting, FocusArea, FocusAreaStatus

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
