"""API pagination (api.md): ``?page=N``, ``?page_size=`` up to 200, default 50.

Strict: a ``page`` or ``page_size`` that is given but is not a whole number in range (blank,
``null``, ``-5``, ``201``) is a 400 with a Danish message, not silently the default; the schema
states the ranges. A page past the last one is a 404.

Its own module because DRF imports the default pagination class while loading its generic
views, before ``core.api`` can finish importing."""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from core.params import MAX_ID, int_param


def query_number(request: Request, name: str, *, maximum: int) -> int | None:
    """The query parameter ``name`` as an int from 1 to ``maximum``, None when absent; given
    but not such a number (blank included), or given twice, is a ``ValidationError`` (400)."""
    values = request.query_params.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        raise ValidationError({name: [_("Må kun angives én gang.")]}, code="invalid")
    number = int_param(values[0], name, maximum=maximum)
    if number is None:
        raise ValidationError(
            {name: [_("Skal være et helt tal skrevet med cifrene 0-9.")]}, code="invalid"
        )
    return number


class PagePagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_page_message = cast(str, gettext_lazy("Siden findes ikke."))

    def get_page_number(self, request: Request, paginator: Any) -> int:
        return query_number(request, self.page_query_param, maximum=MAX_ID) or 1

    def get_page_size(self, request: Request) -> int:
        size = query_number(request, self.page_size_query_param, maximum=self.max_page_size)
        return size or self.page_size

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        return parameters


class StrictCursorPagination(pagination.CursorPagination):
    """Cursor pagination for lists too large to count (the audit trail), as strict as
    ``PagePagination``: ``page_size`` must be a whole number in range, and a cursor that is not
    one this server issued is a 400 (DRF answers 404, which would say the list is gone)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Request) -> int:
        size = query_number(request, self.page_size_query_param, maximum=self.max_page_size)
        return size or self.page_size

    def decode_cursor(self, request: Request) -> Any:
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError(
                {self.cursor_query_param: [_("Ugyldig cursor: brug linket fra svaret.")]},
                code="invalid",
            ) from None

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        return parameters
