"""The rules of each forum kind (domain.md): age bands and the § 115 legal basis."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import Agency
from forums.models import ForumKind

# Default age band per kind (inclusive; None: no bound). Each forum may set its own.
DEFAULT_AGE_BANDS: dict[str, tuple[int | None, int | None]] = {
    ForumKind.SSP: (None, 17),
    ForumKind.SSP_PLUS: (18, 25),
    ForumKind.PSP: (18, None),
    ForumKind.KSP: (None, None),
    ForumKind.S115: (None, 17),
    ForumKind.INFOHUS: (None, None),
}

PARAGRAPHS = ("stk1", "stk2", "stk3")
COOPERATIONS = ("nr1", "nr2", "nr3a", "nr3b", "nr3c")
KSP_LETTERS = ("a", "b", "c")


@dataclass(frozen=True)
class LegalBasis:
    paragraph: str
    cooperation: str

    def as_dict(self) -> dict[str, str]:
        return {"paragraph": self.paragraph, "cooperation": self.cooperation}

    def __str__(self) -> str:
        return f"§ 115, {self.paragraph.replace('stk', 'stk. ')}, {self.cooperation.replace('nr', 'nr. ')}"


def paragraph_for(agency: Agency) -> str:
    """Police discloses under stk. 1, self-governing institutions under stk. 3, others stk. 2."""
    if agency.kind == Agency.Kind.POLITI:
        return "stk1"
    return "stk3" if agency.is_self_governing else "stk2"


def cooperations_for(kind: str, ksp_letter: str | None = None) -> tuple[str, ...]:
    """The cooperation numbers a forum kind works under; the first is the default."""
    if kind == ForumKind.PSP:
        return ("nr2",)
    if kind == ForumKind.KSP:
        return (f"nr3{ksp_letter}",) if ksp_letter else ()
    if kind == ForumKind.INFOHUS:
        return ("nr1", "nr3c")
    return ("nr1",)


def derive_basis(
    *,
    agency: Agency,
    forum_kind: str,
    ksp_letter: str | None = None,
    requested: dict[str, str] | None = None,
) -> LegalBasis:
    """The basis of a disclosure, derived from the disclosing agency and the forum kind.

    A requested basis is accepted only if it agrees; otherwise ValidationError (400).
    """
    paragraph = paragraph_for(agency)
    allowed = cooperations_for(forum_kind, ksp_letter)
    if not allowed:
        raise ValidationError(
            _("Sagen mangler KSP-litra (a, b eller c), så hjemlen kan ikke fastlægges."),
            code="ksp_letter_missing",
        )
    requested = requested or {}
    wanted_paragraph = requested.get("paragraph") or paragraph
    wanted_cooperation = requested.get("cooperation") or allowed[0]
    if wanted_paragraph != paragraph:
        raise ValidationError(
            _("Hjemlen %(given)s passer ikke til myndigheden; den skal være %(expected)s.")
            % {"given": wanted_paragraph, "expected": paragraph},
            code="paragraph_contradicts_agency",
        )
    if wanted_cooperation not in allowed:
        raise ValidationError(
            _("Samarbejdet %(given)s passer ikke til forummets type; tilladt: %(allowed)s.")
            % {"given": wanted_cooperation, "allowed": ", ".join(allowed)},
            code="cooperation_contradicts_forum",
        )
    return LegalBasis(paragraph, wanted_cooperation)


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def check_age_band(*, age_min: int | None, age_max: int | None, age: int, forum_name: str) -> None:
    if (age_min is not None and age < age_min) or (age_max is not None and age > age_max):
        band = f"{age_min if age_min is not None else 0}-{age_max if age_max is not None else ''}"
        raise ValidationError(
            _(
                "Personen er %(age)s år og dermed uden for aldersgruppen for %(forum)s (%(band)s år)."
            )
            % {"age": age, "forum": forum_name, "band": band},
            code="outside_age_band",
        )
