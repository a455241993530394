"""Validation of specs and profiles against the project's own JSON Schemas (package data).

The schemas carry an ``x-fix`` next to each rule: one sentence telling the user how to write
the value. The error names the most relevant violation, where it is, and that fix.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from hyscale_tasks.errors import SpecError, SpecLocation
from hyscale_tasks.spec.yamlfile import JsonPath

SERVICE_SCHEMA = "service-spec.schema.json"
PROFILE_SCHEMA = "profile-spec.schema.json"

Locate = Callable[[JsonPath], SpecLocation]

_TYPE_NAMES = {"integer": "a whole number", "number": "a number", "string": "text",
               "boolean": "true or false", "object": "a mapping of fields", "array": "a list",
               "null": "empty"}


@cache
def _schema(schema_file: str) -> dict[str, Any]:
    text = resources.files("hyscale_tasks.spec").joinpath("schemas", schema_file).read_text()
    return dict(json.loads(text))


@cache
def _validator(schema_file: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(_schema(schema_file))


def validate(data: dict[str, Any], locate: Locate, schema_file: str, what: str) -> None:
    """Raise a :class:`SpecError` for the most relevant schema violation in ``data``."""
    errors = list(_validator(schema_file).iter_errors(data))
    if not errors:
        return
    error = best_match(errors)
    path: JsonPath = tuple(error.absolute_path)
    if error.validator == "required":
        path = (*path, _missing(error)[0])
    location = locate(path)
    raise SpecError(location, f"{what} validation failed: {_cause(error)}", _fix(error, schema_file))


def _missing(error: ValidationError) -> list[str]:
    required = error.validator_value if isinstance(error.validator_value, list) else []
    present = error.instance if isinstance(error.instance, dict) else {}
    return [str(name) for name in required if name not in present] or ["?"]


def _describe(value: Any) -> str:
    if value is None:
        return "an empty value"
    if value == "":
        return "an empty text"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _cause(error: ValidationError) -> str:
    if error.validator == "required":
        return f"'{_missing(error)[0]}' is required here"
    if error.validator == "not" and error.validator_value == {"required": ["dockerfile", "buildSpec"]}:
        return "Expected either Dockerfile or BuildSpec. Cannot accept both to define image spec"
    if error.validator == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) \
            else [error.validator_value]
        wanted = " or ".join(_TYPE_NAMES.get(str(name), str(name)) for name in expected)
        return f"{_describe(error.instance)} is given where {wanted} is expected"
    if error.validator == "pattern":
        return f"{_describe(error.instance)} is not in the expected form"
    if error.validator == "enum":
        options = ", ".join(json.dumps(v) for v in error.validator_value)  # type: ignore[union-attr]
        return f"{_describe(error.instance)} is not one of {options}"
    if error.validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"{_describe(error.instance)} is out of range ({error.message})"
    return str(error.message)


def _resolve(schema: Any, schema_file: str) -> Any:
    """Follow a local ``$ref`` so a property's x-fix is found where its definition lives."""
    while isinstance(schema, dict) and "x-fix" not in schema and \
            str(schema.get("$ref", "")).startswith("#/$defs/"):
        schema = _schema(schema_file)["$defs"].get(schema["$ref"].rsplit("/", 1)[1], {})
    return schema


def _fix(error: ValidationError, schema_file: str) -> str:
    if error.validator == "required" and isinstance(error.schema, dict):
        missing = _missing(error)[0]
        hint = _resolve(error.schema.get("properties", {}).get(missing), schema_file)
        if isinstance(hint, dict) and hint.get("x-fix"):
            return f"Add '{missing}'. {hint['x-fix']}"
    candidate: ValidationError | None = error
    while candidate is not None:
        schema = _resolve(candidate.schema, schema_file)
        if isinstance(schema, dict) and schema.get("x-fix"):
            return str(schema["x-fix"])
        candidate = candidate.parent  # type: ignore[assignment]
    return "See the field reference in the README."
