from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, User
from coordination.models import Note, ReportRestriction
from coordination.services import MAX_NOTE
from core.forms import DesignSystemFormMixin
from core.params import MAX_ID
from forums.models import Forum
from persons.models import CaseFile

NECESSITY_HELP = _(
    "Hvorfor er det nødvendigt for forebyggelsen at dele dette? Skriv ikke personoplysninger her."
)


class NoteForm(DesignSystemFormMixin, forms.Form):
    body = forms.CharField(
        label=_("Notat"), max_length=MAX_NOTE, widget=forms.Textarea(attrs={"rows": 8})
    )
    visibility = forms.ChoiceField(
        label=_("Synlighed"), choices=Note.Visibility.choices, initial=Note.Visibility.AGENCY
    )
    necessity = forms.CharField(
        label=_("Nødvendighed (ved deling)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=NECESSITY_HELP,
    )


class ShareForm(DesignSystemFormMixin, forms.Form):
    necessity = forms.CharField(
        label=_("Nødvendighed"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=NECESSITY_HELP,
    )


class RevealForm(DesignSystemFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Formål"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Hvorfor skal du se identiteten nu? Visningen logges og meddeles formand og DPO."
        ),
    )


class ModeForm(DesignSystemFormMixin, forms.Form):
    mode = forms.ChoiceField(label=_("Drøftelse"), choices=CaseFile.Mode.choices)
    reason = forms.CharField(
        label=_("Begrundelse for drøftelse med navn"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CaseFileOpenForm(DesignSystemFormMixin, forms.Form):
    """Put a person on another forum's list (for that forum's chair or coordinator)."""

    forum = forms.ModelChoiceField(queryset=Forum.objects.none(), label=_("Forum"))
    consent = forms.ChoiceField(
        label=_("Samtykke"), choices=CaseFile.Consent.choices, initial=CaseFile.Consent.NOT_SOUGHT
    )
    consent_refused_reason = forms.CharField(
        label=_("Begrundelse trods afvist samtykke"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    ksp_letter = forms.ChoiceField(
        label=_("KSP-litra"), required=False, choices=[("", "—"), *CaseFile.KspLetter.choices]
    )
    necessity = forms.CharField(
        label=_("Hvorfor skal forummet kende personen?"),
        max_length=1000,
        help_text=_("Det er en videregivelse efter § 115 og logges (mindst 20 tegn)."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, forums: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["forum"].queryset = forums  # type: ignore[attr-defined]


class SessionForm(DesignSystemFormMixin, forms.Form):
    forum = forms.ModelChoiceField(queryset=Forum.objects.none(), label=_("Forum"))
    starts_at = forms.DateTimeField(
        label=_("Tidspunkt"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    location = forms.CharField(label=_("Sted"), max_length=200, required=False)

    def __init__(self, *args: Any, forums: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["forum"].queryset = forums  # type: ignore[attr-defined]


class ChairForm(DesignSystemFormMixin, forms.Form):
    """The session's chair (mødeleder): one of the forum's current members."""

    chair = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label=_("Mødeleder"),
        help_text=_("Mødelederen leder mødet og godkender referatet."),
        error_messages={
            "required": _("Vælg en mødeleder."),
            "invalid_choice": _("Mødelederen skal være et aktuelt medlem af forummet."),
        },
    )

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = members  # type: ignore[attr-defined]
        self.fields["chair"].label_from_instance = _member_label  # type: ignore[attr-defined]


def _member_label(user: User) -> str:
    return f"{user.full_name} ({user.agency.name})" if user.agency else user.full_name


class RecordForm(DesignSystemFormMixin, forms.Form):
    mode = forms.ChoiceField(label=_("Drøftelse"), choices=CaseFile.Mode.choices)
    presenting_agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(), label=_("Fremlæggende myndighed")
    )
    attendees = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), label=_("Deltagere"), widget=forms.CheckboxSelectMultiple
    )
    necessity = forms.CharField(
        label=_("Nødvendighed"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=NECESSITY_HELP,
    )
    minutes = forms.CharField(label=_("Referat"), widget=forms.Textarea(attrs={"rows": 6}))
    version = forms.IntegerField(widget=forms.HiddenInput)
    correction_reason = forms.CharField(
        label=_("Begrundelse for rettelse (kun godkendte referater)"),
        max_length=1000,
        required=False,
    )

    def __init__(self, *args: Any, agencies: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["presenting_agency"].queryset = agencies  # type: ignore[attr-defined]
        self.fields["attendees"].queryset = members  # type: ignore[attr-defined]

    def show_choices(self, *, agencies: list[Agency], attendees: list[User]) -> None:
        """Render from lists fetched once per page: a queryset would run again for every item's
        form. Validation still goes through the querysets."""
        agency_field = self.fields["presenting_agency"]
        empty: list[tuple[Any, Any]] = [("", agency_field.empty_label)]  # type: ignore[attr-defined]
        agency_field.widget.choices = empty + [
            (agency.pk, agency_field.label_from_instance(agency))  # type: ignore[attr-defined]
            for agency in agencies
        ]
        attendee_field = self.fields["attendees"]
        attendee_field.widget.choices = [
            (user.pk, attendee_field.label_from_instance(user))  # type: ignore[attr-defined]
            for user in attendees
        ]


class PlanForm(DesignSystemFormMixin, forms.Form):
    goals = forms.CharField(label=_("Mål"), widget=forms.Textarea(attrs={"rows": 6}))
    review_date = forms.DateField(
        label=_("Revurderes"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ActionForm(DesignSystemFormMixin, forms.Form):
    description = forms.CharField(
        label=_("Handling"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    owner = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Ansvarlig"))
    due_date = forms.DateField(
        label=_("Frist"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = members  # type: ignore[attr-defined]


class HandoverForm(DesignSystemFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Overleveringsliste (CSV)"),
        help_text=_(
            "Kolonner: navn, cpr, dato (ÅÅÅÅ-MM-DD), kategori. UTF-8, komma eller semikolon."
        ),
    )
    necessity = forms.CharField(
        label=_("Nødvendighed"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=NECESSITY_HELP,
    )


class GrantCaseFileField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A case file named by its forum (the forum the grant is given from)."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.forum.name)


class PersonGrantForm(DesignSystemFormMixin, forms.Form):
    """Give one named user outside the forum read access to the person for a limited time."""

    case_file = GrantCaseFileField(queryset=CaseFile.objects.none(), label=_("Fra forum"))
    email = forms.EmailField(label=_("Modtagerens e-mail"), max_length=254)
    expires_at = forms.DateField(
        label=_("Adgang til og med"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reason = forms.CharField(
        label=_("Begrundelse"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Hvorfor er adgangen nødvendig? Modtageren ser personens pseudonym og helhedsplanen, "
            "ikke identitet, bekymringer, notater eller referater. Skriv ikke personoplysninger her."
        ),
    )

    def __init__(self, *args: Any, case_files: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case_file"].queryset = case_files  # type: ignore[attr-defined]


class RestrictionForm(DesignSystemFormMixin, forms.Form):
    case_file = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)
    part = forms.ChoiceField(choices=ReportRestriction.Part.choices, widget=forms.HiddenInput)
    object_id = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=MAX_ID
    )
    reason = forms.CharField(
        label=_("Begrundelse (databeskyttelseslovens § 22)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
    )


class NoteCorrectForm(DesignSystemFormMixin, forms.Form):
    body = forms.CharField(
        label=_("Rettet tekst"), max_length=MAX_NOTE, widget=forms.Textarea(attrs={"rows": 8})
    )
    reason = forms.CharField(
        label=_("Begrundelse for rettelsen"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Den hidtidige tekst gemmes krypteret sammen med begrundelsen."),
    )


class IdentityCorrectForm(DesignSystemFormMixin, forms.Form):
    name = forms.CharField(label=_("Rettet navn"), max_length=200, required=False)
    cpr = forms.CharField(label=_("Rettet CPR-nummer"), max_length=20, required=False)
    address = forms.CharField(label=_("Rettet adresse"), max_length=200, required=False)
    reason = forms.CharField(
        label=_("Begrundelse for rettelsen"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Udfyld kun det, der skal rettes. De hidtidige oplysninger gemmes krypteret."),
    )
