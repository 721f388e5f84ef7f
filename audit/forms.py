from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, User
from audit.models import AccessEvent
from core.forms import DesignSystemFormMixin


class AccessFilterForm(DesignSystemFormMixin, forms.Form):
    """Filters of the DPO's lists (GET). Empty means: no filter (period: the last 30 days)."""

    person = forms.CharField(label=_("Person (pseudonym eller id)"), max_length=32, required=False)
    user = forms.ModelChoiceField(
        label=_("Bruger"), queryset=User.objects.order_by("full_name"), required=False
    )
    agency = forms.ModelChoiceField(
        label=_("Myndighed"), queryset=Agency.objects.all(), required=False
    )
    action = forms.ChoiceField(
        label=_("Handling"), choices=[("", "—"), *AccessEvent.Action.choices], required=False
    )
    date_from = forms.DateField(
        label=_("Fra"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=_("Til"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        today = timezone.localdate()
        return {
            "person": data.get("person") or "",
            "user": data["user"].pk if data.get("user") else None,
            "agency": data["agency"].pk if data.get("agency") else None,
            "action": data.get("action") or "",
            "date_from": data.get("date_from") or today - datetime.timedelta(days=30),
            "date_to": data.get("date_to") or today,
        }


class SpotCheckForm(DesignSystemFormMixin, forms.Form):
    finding = forms.ChoiceField(
        label=_("Vurdering"), choices=[("ok", _("I orden")), ("follow_up", _("Skal følges op"))]
    )
    comment = forms.CharField(label=_("Bemærkning"), max_length=1000, required=False)
