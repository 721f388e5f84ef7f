"""Concern categories (domain.md). The list is configurable: CONCERN_CATEGORIES in settings
may replace it with (code, label) pairs; codes that are stored must stay in the list."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

DEFAULT_CATEGORIES = [
    ("skolefravaer", gettext_lazy("Skolefravær og mistrivsel")),
    ("vold", gettext_lazy("Vold og trusler")),
    ("vold_naere_relationer", gettext_lazy("Vold i nære relationer")),
    ("berigelse", gettext_lazy("Berigelseskriminalitet (tyveri, indbrud, hæleri)")),
    ("haervaerk", gettext_lazy("Hærværk")),
    ("narkotika_alkohol", gettext_lazy("Narkotika og alkohol (brug, salg)")),
    ("vaaben", gettext_lazy("Våben og knive")),
    ("bande", gettext_lazy("Tilknytning til rocker- og bandemiljø")),
    ("radikalisering", gettext_lazy("Radikalisering og ekstremisme")),
    ("digital", gettext_lazy("Digital kriminalitet og krænkelser")),
    ("utryghed", gettext_lazy("Utryghedsskabende adfærd i det offentlige rum")),
    ("psykisk_saarbarhed", gettext_lazy("Psykisk sårbarhed")),
    ("misbrug", gettext_lazy("Misbrug")),
    ("omsorgssvigt", gettext_lazy("Omsorgssvigt og hjemlige forhold")),
    ("loesladelse", gettext_lazy("Løsladelse og tilbagefald")),
    ("andet", gettext_lazy("Andet")),
]


def category_choices() -> list[tuple[str, str]]:
    return list(getattr(settings, "CONCERN_CATEGORIES", DEFAULT_CATEGORIES))


def validate_categories(codes: Sequence[str]) -> list[str]:
    known = {code for code, _label in category_choices()}
    if isinstance(codes, str) or not codes:
        raise ValidationError(_("Vælg mindst én kategori."))
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ValidationError(
            _("Ukendte kategorier: %(codes)s.") % {"codes": ", ".join(map(str, unknown))}
        )
    return sorted(set(codes))
