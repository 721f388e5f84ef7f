"""Numbers from request parameters (query strings, form fields): ASCII digits only, in range.

``int("²")`` raises and ``"²".isdigit()`` is true, and ``int("٣")`` is 3; an id, page or version
is the ASCII digits 0-9 and nothing else. Anything else is a ``ValidationError`` in Danish naming
the parameter: the API answers it as a 400 in api.md's shape, a page with ``bad_request``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _

MAX_ID = 2**31 - 1  # PostgreSQL's integer: no id or version is larger


def int_param(value: object, field: str, *, minimum: int = 1, maximum: int = MAX_ID) -> int | None:
    """``value`` as an int within ``minimum``..``maximum``; None when absent or blank.

    Surrounding whitespace is ignored; a sign, a decimal point or any non-ASCII digit is not.
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        raise ValidationError(
            {field: [_("Skal være et helt tal skrevet med cifrene 0-9.")]}, code="invalid"
        )
    digits = text.lstrip("0") or "0"
    # Length first: int() of a very long string is slow, and refused past 4300 digits.
    number = int(digits) if len(digits) <= len(str(maximum)) else None
    if number is None or not minimum <= number <= maximum:
        raise ValidationError(
            {
                field: [
                    _("Skal være et helt tal fra %(min)s til %(max)s.")
                    % {"min": minimum, "max": maximum}
                ]
            },
            code="out_of_range",
        )
    return number


def bad_request(error: ValidationError) -> HttpResponse:
    """A page's answer to a malformed parameter (only a hand-made request sends one): 400 with
    the Danish message, as ``core.request_context`` answers a NUL in the query string."""
    return HttpResponseBadRequest(
        " ".join(error.messages), content_type="text/plain; charset=utf-8"
    )
