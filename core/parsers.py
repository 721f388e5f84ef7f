"""The API's one parser: JSON (api.md: "JSON in and out"), bounded in size and depth, no NUL.

DRF's own JSONParser answers a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` with Django's English
HTML 400, lets ``json`` recurse until a ``RecursionError`` (a 500) on deeply nested input, and
answers malformed JSON in English. Here each of these is a 400 in api.md's error shape with a
Danish message, before any view code uses the data. A NUL character anywhere (PostgreSQL text
cannot hold it) is refused too, naming the top-level field it is in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers, renderers
from rest_framework.settings import api_settings
from rest_framework.utils.json import strict_constant

MAX_DEPTH = 32  # our deepest payload nests 3 levels (a concern's identity)


def _max_bytes() -> int | None:
    limit: int | None = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return limit


def _too_large(limit: int) -> exceptions.ParseError:
    return exceptions.ParseError(_("Forespørgslen er for stor (højst %(n)s bytes).") % {"n": limit})


def _too_deep() -> exceptions.ParseError:
    return exceptions.ParseError(
        _("Forespørgslen er indlejret for dybt (højst %(n)s niveauer).") % {"n": MAX_DEPTH}
    )


class BoundedJSONParser(parsers.BaseParser):
    """Not a JSONParser subclass on purpose: for those DRF first reads ``request.body`` whole,
    which raises Django's RequestDataTooBig (an English HTML 400) past the limit."""

    media_type = "application/json"
    renderer_class = renderers.JSONRenderer
    strict = api_settings.STRICT_JSON

    def parse(
        self,
        stream: IO[Any] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        context = parser_context or {}
        limit = _max_bytes()
        request = context.get("request")
        if limit is not None and request is not None:
            declared = request.META.get("CONTENT_LENGTH") or "0"
            if declared.isascii() and declared.isdigit() and int(declared) > limit:
                raise _too_large(limit)  # refused before reading a byte of it
        raw: bytes = b"" if stream is None else stream.read(-1 if limit is None else limit + 1)
        if limit is not None and len(raw) > limit:
            raise _too_large(limit)
        encoding = context.get("encoding") or settings.DEFAULT_CHARSET
        try:
            "".encode(encoding)  # a text codec, not e.g. bz2_codec (which would decompress)
            text = raw.decode(encoding)
        except (LookupError, UnicodeError):
            raise exceptions.ParseError(
                _("Forespørgslen er ikke gyldig tekst i tegnsættet %(charset)s.")
                % {"charset": str(encoding)[:40]}
            ) from None
        try:
            data = json.loads(text, parse_constant=strict_constant if self.strict else None)
        except RecursionError:
            raise _too_deep() from None
        except json.JSONDecodeError as exc:
            raise exceptions.ParseError(
                _("Forespørgslen er ikke gyldig JSON (linje %(line)s, kolonne %(column)s).")
                % {"line": exc.lineno, "column": exc.colno}
            ) from None
        except ValueError:  # NaN or Infinity
            raise exceptions.ParseError(_("Forespørgslen er ikke gyldig JSON.")) from None
        check_structure(data)
        return data


def check_structure(data: Any) -> None:
    """Refuse nesting deeper than MAX_DEPTH and a NUL in any string or key (iteratively: the
    depth is not yet known to be small)."""
    nul = _("Null-tegn er ikke tilladt.")
    stack: list[tuple[Any, int, str]] = [(data, 1, "")]
    while stack:
        value, depth, field = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_DEPTH:
                raise _too_deep()
            for key, item in value.items():
                name = field or key
                if "\x00" in key:
                    raise exceptions.ValidationError({"non_field_errors": [nul]})
                stack.append((item, depth + 1, name))
        elif isinstance(value, list):
            if depth > MAX_DEPTH:
                raise _too_deep()
            stack.extend((item, depth + 1, field) for item in value)
        elif isinstance(value, str) and "\x00" in value:
            raise exceptions.ValidationError({field or "non_field_errors": [nul]})
