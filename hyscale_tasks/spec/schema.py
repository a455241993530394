"""Validation of specs and profiles against the project's own JSON Schemas (package data).

The schemas carry an ``x-fix`` next to each rule: one sentence telling the user how to write
the value. The error names the most relevant violation, where it is, and that fix.

Every mapping refuses fields it does not know, as ``kubectl --validate=strict`` does: a
misspelled ``replica: 3`` is an error that names the field and, when one is close, the field
meant. Values under ``secrets`` are never quoted in a message, whatever is wrong with them.
"""

from __future__ import annotations

import difflib
import json
import re
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
    if error.validator == "additionalProperties" and error.validator_value is False:
        name, cause, fix = _unknown_field(error)
        raise SpecError(locate((*path, name)), f"{what} validation failed: {cause}", fix)
    if error.validator == "required":
        path = (*path, _missing(error)[0])
    location = locate(path)
    raise SpecError(location, f"{what} validation failed: {_cause(error, _is_secret(path))}",
                    _fix(error, schema_file))


def _is_secret(path: JsonPath) -> bool:
    """Whether ``path`` is a service's or a sidecar's ``secrets`` or anything below it."""
    return path[:1] == ("secrets",) or (path[:1] == ("agents",) and path[2:3] == ("secrets",))


def _unknown_field(error: ValidationError) -> tuple[str, str, str]:
    """The first unknown field of the mapping, the cause and the fix (with the closest name)."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    known = [str(name) for name in schema.get("properties", {})]
    patterns = list(schema.get("patternProperties", {}))
    instance = error.instance if isinstance(error.instance, dict) else {}
    name = next(str(key) for key in instance
                if key not in known and not any(re.search(p, str(key)) for p in patterns))
    by_case = [field for field in known if field.lower() == name.lower()]
    close = by_case or difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        return name, f"unknown field '{name}' (did you mean '{close[0]}'?)", \
            f"Rename '{name}' to '{close[0]}'."
    extension = " or start its name with 'x-' to keep it as an ignored extension" if patterns else ""
    return name, f"unknown field '{name}'", \
        f"Remove '{name}'{extension}; the fields known here are: {', '.join(known)}."


def _missing(error: ValidationError) -> list[str]:
    required = error.validator_value if isinstance(error.validator_value, list) else []
    present = error.instance if isinstance(error.instance, dict) else {}
    return [str(name) for name in required if name not in present] or ["?"]


def _describe(value: Any, secret: bool = False) -> str:
    if secret:  # a mistyped secret is still a secret: say what it is, never what it holds
        kind = _TYPE_NAMES.get(_json_type(value), "a value")
        return f"a secret value ({kind}, not shown)"
    if value is None:
        return "an empty value"
    if value == "":
        return "an empty text"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _json_type(value: Any) -> str:
    for name, kind in (("boolean", bool), ("integer", int), ("number", float), ("string", str),
                       ("array", list), ("object", dict)):
        if isinstance(value, kind):
            return name
    return "null"


def _cause(error: ValidationError, secret: bool = False) -> str:
    if error.validator == "required":
        return f"'{_missing(error)[0]}' is required here"
    if error.validator == "not" and error.validator_value == {"required": ["dockerfile", "buildSpec"]}:
        return "Expected either Dockerfile or BuildSpec. Cannot accept both to define image spec"
    if error.validator == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) \
            else [error.validator_value]
        wanted = " or ".join(_TYPE_NAMES.get(str(name), str(name)) for name in expected)
        return f"{_describe(error.instance, secret)} is given where {wanted} is expected"
    if secret:  # the rules below would quote the value
        return f"{_describe(error.instance, secret)} is not in the expected form"
    if error.validator == "pattern":
        return f"{_describe(error.instance)} is not in the expected form"
    if error.validator == "enum":
        options = ", ".join(json.dumps(v) for v in error.validator_value)  # type: ignore[union-attr]
        return f"{_describe(error.instance)} is not one of {options}"
    if error.validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"{_describe(error.instance)} is out of range ({error.message})"
    if error.validator == "maxLength" and isinstance(error.instance, str):
        return (f"{_describe(error.instance)} is {len(error.instance)} characters, more than the "
                f"{error.validator_value} allowed")
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
