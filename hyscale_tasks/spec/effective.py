"""The effective spec of one service: its hspec, validated, with its profile merged in."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hyscale_tasks.errors import SpecError, SpecLocation, field_path
from hyscale_tasks.spec import schema
from hyscale_tasks.spec.merge import (
    PROFILE_MERGE_KEYS,
    PROFILE_REPLACE_FIELDS,
    MergeKeyError,
    strategic_merge,
)
from hyscale_tasks.spec.yamlfile import JsonPath, YamlDocument, load_mapping

DEFAULT_ENVIRONMENT = "dev"
SERVICE_SPEC = "service spec"
PROFILE = "profile"


@dataclass
class EffectiveSpec:
    """The merged spec, where each of its fields came from, and warnings met on the way."""

    spec: YamlDocument
    profile: YamlDocument | None
    data: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.data["name"])

    @property
    def environment(self) -> str:
        return str(self.profile.data["environment"]) if self.profile else DEFAULT_ENVIRONMENT

    @property
    def base_dir(self) -> Path:
        """Relative paths in the spec and in its profile resolve against the spec's folder."""
        return self.spec.path.parent

    def locate(self, parts: JsonPath | list[str | int]) -> SpecLocation:
        """Where the merged value at ``parts`` was written: in the file that spells out more of
        the path (the profile on a tie, since it overrides). List indices of the merged spec are
        mapped back to each file's own list through the merge keys (volumes by name...)."""
        best: tuple[YamlDocument, list[str | int]] | None = None
        for document in (self.profile, self.spec):
            if document is None:
                continue
            found = _trace(tuple(parts), document.data, self.data)
            if best is None or len(found) > len(best[1]):
                best = (document, found)
        assert best is not None
        document, found = best
        line = document.locate(found).line
        return SpecLocation(document.path, line, field_path(list(parts)))

    def fail(self, parts: JsonPath | list[str | int], cause: str, fix: str) -> SpecError:
        return SpecError(self.locate(parts), cause, fix)


def _identity(item: Any, key: str | None) -> Any:
    """What matches a list element across files: its merge key's value, or the element itself."""
    if key is not None and isinstance(item, dict) and key in item:
        return ("key", str(item[key]))
    return ("value", item)


def _trace(parts: JsonPath, written: Any, merged: Any) -> list[str | int]:
    """The longest prefix of ``parts`` that ``written`` (one file's data) spells out itself."""
    found: list[str | int] = []
    for part in parts:
        if isinstance(part, int):
            if not isinstance(written, list) or not isinstance(merged, list) or part >= len(merged):
                break
            element = merged[part]
            key = PROFILE_MERGE_KEYS.get(str(found[-1])) if found else None
            identity = _identity(element, key)
            matches = [i for i, item in enumerate(written) if _identity(item, key) == identity]
            if not matches:
                break
            # The n-th element with this key in the merged list is the n-th one in the file.
            before = sum(1 for item in merged[:part] if _identity(item, key) == identity)
            nth = min(before, len(matches) - 1)
            found.append(matches[nth])
            written, merged = written[matches[nth]], element
        else:
            if not isinstance(written, dict) or part not in written:
                break
            found.append(part)
            written, merged = written[part], merged.get(part) if isinstance(merged, dict) else None
    return found


def load_effective(spec_path: Path, profile_path: Path | None) -> EffectiveSpec:
    """Load, validate and merge; raise :class:`SpecError` on the first problem found."""
    spec = load_mapping(spec_path, SERVICE_SPEC)
    schema.validate(spec.data, spec.locate, schema.SERVICE_SCHEMA, SERVICE_SPEC)
    warnings = _spec_name_warnings(spec)
    profile = None
    data = spec.data
    if profile_path is not None:
        profile = load_mapping(profile_path, PROFILE)
        schema.validate(profile.data, profile.locate, schema.PROFILE_SCHEMA, PROFILE)
        _check_profile_matches(profile, spec)
        overrides = {k: v for k, v in profile.data.items() if k not in ("environment", "overrides")}
        try:
            data = strategic_merge(copy.deepcopy(spec.data), copy.deepcopy(overrides),
                                   PROFILE_MERGE_KEYS, PROFILE_REPLACE_FIELDS)
        except MergeKeyError as exc:
            raise SpecError(profile.locate(exc.path), str(exc),
                            f"Give '{exc.field}' in the spec or in the profile, not in both.") from None
        effective = EffectiveSpec(spec, profile, data, warnings)
        schema.validate(data, effective.locate, schema.SERVICE_SCHEMA,
                        "service spec with profile applied")
        return effective
    return EffectiveSpec(spec, profile, copy.deepcopy(data), warnings)


def _spec_name_warnings(spec: YamlDocument) -> list[str]:
    base = spec.path.name.split(".", 1)[0]
    if base != spec.data["name"]:
        return [f"Service name mismatch with hspec file {spec.path}. "
                "Naming convention as <service-name>.hspec"]
    return []


def _check_profile_matches(profile: YamlDocument, spec: YamlDocument) -> None:
    service = spec.data["name"]
    if profile.data["overrides"] != service:
        raise SpecError(profile.locate(["overrides"]),
                        f"profile overrides service '{profile.data['overrides']}', "
                        f"but {spec.path.name} is service '{service}'",
                        f"Write 'overrides: {service}' or use this profile with its own service.")
    environment = str(profile.data["environment"])
    if not profile.path.name.startswith(f"{environment}-"):
        raise SpecError(profile.locate(["environment"]),
                        f"Profile name mismatched with environment in {profile.path.name}",
                        f"Name the file {environment}-{service}.hprof, or set "
                        "'environment' to the file's prefix.")
