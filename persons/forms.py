from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency
from core.forms import DesignSystemFormMixin
from forums.models import Forum
from persons.categories import category_choices
from persons.cpr import parse_cpr
from persons.models import Concern, ConsentRecord
from persons.retention import ON_REQUEST_CAUSES
from persons.services import MAX_TEXT


def age_override_field() -> forms.CharField:
    """The chair's reason for an exception from the forum's age band (optional field)."""
    return forms.CharField(
        label=_("Begrundelse for undtagelse fra aldersgruppen"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Kun hvis personen er uden for forummets aldersgruppe: forummets formand kan "
            "godkende en undtagelse med en begrundelse (mindst 20 tegn)."
        ),
    )


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
    age_override_reason = age_override_field()

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


class ConcernDecideForm(DesignSystemFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Beslutning"),
        widget=forms.RadioSelect,
        choices=[
            (Concern.Decision.BRING_TO_FORUM, _("Drøftes i forummet (kommer på næste dagsorden)")),
            (Concern.Decision.NO_ACTION, _("Ingen videre handling")),
            (Concern.Decision.PASSED_ON, _("Send videre til et andet forum i kommunen")),
        ],
    )
    reason = forms.CharField(
        label=_("Begrundelse"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Skal udfyldes ved ingen videre handling og ved videresendelse (mindst 20 tegn)."
        ),
    )
    target_forum = forms.ModelChoiceField(
        queryset=Forum.objects.none(),
        label=_("Forum, bekymringen sendes videre til"),
        required=False,
        help_text=_("Kun ved videresendelse. Videresendelsen registreres som en videregivelse."),
    )

    def __init__(self, *args: Any, forums: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target_forum"].queryset = forums  # type: ignore[attr-defined]


class ConsentForm(DesignSystemFormMixin, forms.Form):
    given_by = forms.ChoiceField(
        label=_("Hvem tog stilling?"), choices=ConsentRecord.GivenBy.choices
    )
    decision = forms.ChoiceField(label=_("Samtykke"), choices=ConsentRecord.Decision.choices)
    given_on = forms.DateField(
        label=_("Dato"),
        help_text=_("Hvornår samtykket blev givet, afvist eller trukket tilbage (åååå-mm-dd)."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(
        label=_("Bemærkning"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class TransferForm(DesignSystemFormMixin, forms.Form):
    target_forum = forms.ModelChoiceField(
        queryset=Forum.objects.none(), label=_("Forum, personen overgår til")
    )
    reason = forms.CharField(
        label=_("Begrundelse for overgangen"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Overgangen er en videregivelse efter § 115 og logges med denne begrundelse "
            "(mindst 20 tegn)."
        ),
    )

    def __init__(self, *args: Any, forums: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target_forum"].queryset = forums  # type: ignore[attr-defined]
