"""CPR numbers: format and date validation (no modulus-11: not all numbers since 2007 pass it)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.crypto import normalise_cpr


def century(seventh_digit: int, two_digit_year: int) -> int:
    """The century of a CPR birth date, from the 7th digit (CPR office's table)."""
    if seventh_digit <= 3:
        return 1900
    if seventh_digit in (4, 9):
        return 2000 if two_digit_year <= 36 else 1900
    return 2000 if two_digit_year <= 57 else 1800


def parse_cpr(value: str) -> tuple[str, datetime.date]:
    """Normalised CPR (10 ASCII digits) and its birth date, or a ValidationError in Danish.

    Only the digits 0-9, optionally with "-" or a space after the sixth (see normalise_cpr).
    """
    try:
        digits = normalise_cpr(value)
    except (ValueError, TypeError, AttributeError):
        raise ValidationError(
            _("CPR-nummeret skal være 10 cifre (ddmmåå-xxxx)."), code="cpr_format"
        ) from None
    day, month, year2 = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    try:
        birth_date = datetime.date(century(int(digits[6]), year2) + year2, month, day)
    except ValueError:
        raise ValidationError(
            _("CPR-nummeret indeholder ikke en gyldig dato."), code="cpr_date"
        ) from None
    return digits, birth_date
