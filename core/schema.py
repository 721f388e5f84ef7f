"""OpenAPI (drf-spectacular) extensions for Tværs' own API classes, and the error responses.

drf-spectacular documents only the success responses; :func:`document_errors` adds the errors
of api.md (shape of ``core.api.exception_handler``) that each operation can give, so the schema
is honest about every status the API answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from drf_spectacular.authentication import SessionScheme

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An error (api.md): a Danish message, and for invalid input the messages "
    "per field (nested for nested fields).",
    "properties": {
        "detail": {"type": "string", "nullable": True},
        "errors": {
            "type": "object",
            "additionalProperties": {"anyOf": [{"type": "array"}, {"type": "object"}]},
        },
    },
    "required": ["detail"],
}

ERROR_DESCRIPTIONS = {
    "400": "Ugyldige data: invalid input, or a business rule refuses the request.",
    "401": "Ikke logget ind: missing, invalid, expired or revoked credentials.",
    "403": "Ingen adgang: the user's role or forum does not allow this.",
    "404": "Findes ikke: no such object, or one the user may not know exists.",
    "409": "Konflikt: a stale `version`; fetch the newest and try again.",
    "429": "For mange forespørgsler: rate limited; see the Retry-After header.",
}
# Answered by the server (gunicorn's limit-request-line) before the API, as HTML.
URI_TOO_LONG = {"description": "URI Too Long: the request line is longer than the server takes."}

UNSAFE_METHODS = {"post", "put", "patch", "delete"}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


class TvaersSessionScheme(SessionScheme):
    target_class = "core.authentication.SessionAuthentication"


def _has_version(operation: dict[str, Any], schemas: dict[str, Any]) -> bool:
    """True when the request body carries ``version`` (optimistic locking: a stale one is 409)."""
    for media in operation.get("requestBody", {}).get("content", {}).values():
        schema = media.get("schema", {})
        ref = schema.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            schema = schemas.get(ref.rsplit("/", 1)[-1], {})
        if "version" in schema.get("properties", {}):
            return True
    return False


def _errors_for(
    path: str, method: str, operation: dict[str, Any], schemas: dict[str, Any]
) -> Iterator[str]:
    parameters = operation.get("parameters", [])
    if (
        "requestBody" in operation
        or method in UNSAFE_METHODS
        or any(p.get("in") == "query" for p in parameters)
    ):
        yield "400"
    if any(requirement for requirement in operation.get("security", [])):
        yield "401"
        yield "403"
    if "{" in path or any(p.get("name") == "page" for p in parameters):
        yield "404"
    if _has_version(operation, schemas):
        yield "409"
    yield "429"


def document_errors(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """POSTPROCESSING_HOOK: an ``Error`` component and the error responses of each operation
    (responses an operation already documents are kept)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            if any(p.get("in") == "query" for p in operation.get("parameters", [])):
                responses.setdefault("414", URI_TOO_LONG)
            for code in _errors_for(path, method, operation, schemas):
                responses.setdefault(
                    code,
                    {
                        "description": ERROR_DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result
