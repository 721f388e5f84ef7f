from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency
from core.forms import DesignSystemFormMixin
from forums.models import Forum
from persons.categories import category_choices
from persons.cpr import parse_cpr
from persons.retention import ON_REQUEST_CAUSES
from persons.services import MAX_TEXT


class ConcernForm(DesignSystemFormMixin, forms.Form):
    forum = forms.ModelChoiceField(queryset=Forum.objects.none(), label=_("Forum"))
    name = forms.CharField(label=_("Navn"), max_length=200)
    cpr = forms.CharField(
        label=_("CPR-nummer"),
        max_length=11,
        required=False,
        help_text=_("ddmmåå-xxxx. Bruges til at finde en eksisterende person."),
    )
    birth_date = forms.DateField(
        label=_("Fødselsdato"),
        required=False,
        help_text=_("Kun hvis CPR-nummeret ikke kendes (åååå-mm-dd)."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    address = forms.CharField(label=_("Adresse"), max_length=300, required=False)
    categories = forms.MultipleChoiceField(
        label=_("Kategorier"), choices=(), widget=forms.CheckboxSelectMultiple
    )
    description = forms.CharField(
        label=_("Beskrivelse af bekymringen"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    necessity = forms.CharField(
        label=_("Hvorfor skal forummet kende oplysningerne?"),
        max_length=1000,
        help_text=_(
            "Registreringen er en videregivelse efter retsplejelovens § 115 og logges med "
            "denne begrundelse (mindst 20 tegn)."
        ),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    source_agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(), label=_("Kilde (myndighed)")
    )
    source_reason = forms.CharField(
        label=_("Begrundelse for anden kilde"),
        max_length=1000,
        required=False,
        help_text=_(
            "Kun formand og koordinator kan registrere på en anden myndigheds vegne, og kun "
            "med en begrundelse (mindst 20 tegn)."
        ),
    )
    ksp_letter = forms.ChoiceField(
        label=_("KSP-litra"),
        required=False,
        choices=[("", "—"), ("a", "a"), ("b", "b"), ("c", "c")],
        help_text=_("Kun for KSP-fora."),
    )

    def __init__(self, *args: Any, forums: Any, agencies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["forum"].queryset = forums  # type: ignore[attr-defined]
        self.fields["source_agency"].queryset = agencies  # type: ignore[attr-defined]
        self.fields["categories"].choices = category_choices()  # type: ignore[attr-defined]

    def clean_cpr(self) -> str:
        """Format and date checked here, next to the field; the service parses it again."""
        cpr: str = self.cleaned_data["cpr"]
        if cpr:
            parse_cpr(cpr)
        return cpr


class RetentionExtendForm(DesignSystemFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Begrundelse for forlængelse"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text=_("Hvorfor er oplysningerne stadig nødvendige? Sagen kan kun forlænges én gang."),
    )


class RetentionDeleteForm(DesignSystemFormMixin, forms.Form):
    cause = forms.ChoiceField(
        label=_("Hvorfor slettes sagen nu?"),
        choices=[(c.value, c.label) for c in ON_REQUEST_CAUSES],
    )
    confirm = forms.BooleanField(
        label=_("Jeg forstår, at sagens oplysninger slettes endeligt og ikke kan genskabes."),
    )
