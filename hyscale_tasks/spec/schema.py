"""Validation of specs and profiles against the project's own JSON Schemas (package data)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from hyscale_tasks.errors import SpecError
from hyscale_tasks.spec.yamlfile import YamlDocument

SERVICE_SCHEMA = "service-spec.schema.json"
PROFILE_SCHEMA = "profile-spec.schema.json"


@cache
def _validator(schema_file: str) -> jsonschema.Draft202012Validator:
    text = resources.files("hyscale_tasks.spec").joinpath("schemas", schema_file).read_text()
    schema = json.loads(text)
    return jsonschema.Draft202012Validator(schema)


def validate(document: YamlDocument, schema_file: str, what: str) -> None:
    """Raise a :class:`SpecError` for the most relevant schema violation in ``document``."""
    errors = list(_validator(schema_file).iter_errors(document.data))
    if not errors:
        return
    error = best_match(errors)
    location = document.locate(list(error.absolute_path))
    raise SpecError(location, f"{what} validation failed: {_cause(error)}", _fix(error))


def _cause(error: ValidationError) -> str:
    if error.validator == "required":
        return str(error.message).replace("is a required property", "is required")
    if error.validator == "not" and error.validator_value == {"required": ["dockerfile", "buildSpec"]}:
        return ("Expected either Dockerfile or BuildSpec. Cannot accept both to define image spec")
    if error.validator in ("anyOf", "oneOf"):
        return f"{_short(error.instance)} is not a valid value here"
    if error.validator == "pattern":
        return f"{_short(error.instance)} is not in the expected form"
    return str(error.message)


def _fix(error: ValidationError) -> str:
    for candidate in (error, *_ancestors(error)):
        hint = candidate.schema.get("x-fix") if isinstance(candidate.schema, dict) else None
        if hint:
            return str(hint)
        if candidate.validator == "required" and isinstance(candidate.schema, dict):
            required: list[str] = list(candidate.validator_value or [])  # type: ignore[arg-type]
            missing = [name for name in required
                       if isinstance(candidate.instance, dict) and name not in candidate.instance]
            props = candidate.schema.get("properties", {})
            hints = [props[name].get("x-fix") for name in missing if name in props]
            if any(hints):
                return str(next(h for h in hints if h))
    return "See the field reference in the README."


def _ancestors(error: ValidationError) -> list[ValidationError]:
    found: list[ValidationError] = []
    parent = error.parent
    while parent is not None:
        found.append(parent)  # type: ignore[arg-type]
        parent = parent.parent
    return found


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."
