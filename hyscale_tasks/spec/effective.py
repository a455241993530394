"""The effective spec of one service: its hspec, validated, with its profile merged in."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hyscale_tasks.errors import SpecError, SpecLocation
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
        """The profile's location when the profile sets the top field, else the spec's."""
        if self.profile is not None and parts and parts[0] in self.profile.data:
            return self.profile.locate(parts)
        return self.spec.locate(parts)

    def fail(self, parts: JsonPath | list[str | int], cause: str, fix: str) -> SpecError:
        return SpecError(self.locate(parts), cause, fix)


def load_effective(spec_path: Path, profile_path: Path | None) -> EffectiveSpec:
    """Load, validate and merge; raise :class:`SpecError` on the first problem found."""
    spec = load_mapping(spec_path, SERVICE_SPEC)
    schema.validate(spec, schema.SERVICE_SCHEMA, SERVICE_SPEC)
    warnings = _spec_name_warnings(spec)
    profile = None
    data = spec.data
    if profile_path is not None:
        profile = load_mapping(profile_path, PROFILE)
        schema.validate(profile, schema.PROFILE_SCHEMA, PROFILE)
        _check_profile_matches(profile, spec)
        overrides = {k: v for k, v in profile.data.items() if k not in ("environment", "overrides")}
        try:
            data = strategic_merge(copy.deepcopy(spec.data), copy.deepcopy(overrides),
                                   PROFILE_MERGE_KEYS, PROFILE_REPLACE_FIELDS)
        except MergeKeyError as exc:
            raise SpecError(profile.locate([exc.field]), str(exc),
                            f"Give '{exc.field}' in the spec or in the profile, not in both.") from None
        effective = EffectiveSpec(spec, profile, data, warnings)
        schema.validate(YamlDocument(spec.path, data, {}), schema.SERVICE_SCHEMA,
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
