"""Checks an API answer against the OpenAPI schema drf-spectacular generates, as schemathesis's
"response violates schema" check does in ``make security``, so a shape the schema does not
allow (a null where it promises a string) fails in ``make test`` first."""

from __future__ import annotations

import functools
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # drf-spectacular needs it; no stubs installed


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0 → JSON Schema: ``nullable: true`` becomes a null alternative."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _json_schema(v) for k, v in node.items() if k != "nullable"}
    if not node.get("nullable"):
        return out
    if "type" in out:
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        return out
    return {"anyOf": [out, {"type": "null"}]}


@functools.cache
def _components() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {"components": _json_schema(schema["components"])}


def assert_matches(component: str, body: Any) -> None:
    """``body`` is valid as ``#/components/schemas/<component>``."""
    schema = {**_components(), "$ref": f"#/components/schemas/{component}"}
    jsonschema.Draft7Validator(schema).validate(body)
