"""HyScale's strategic merge, used to apply a profile to a spec and a k8s snippet to a manifest.

Rules (hyscale-behaviour §2.5, §6.11): a null patch value is ignored; a missing key or a change
of JSON type replaces; scalars replace; objects merge recursively; lists either replace (fields
marked REPLACE), or union scalars and merge objects by the field's merge key. Unlike HyScale we
keep key and list order (source order first, new entries after), so output is reproducible.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hyscale_tasks.errors import HyscaleError

PROFILE_MERGE_KEYS: Mapping[str, str] = {"volumes": "name", "agents": "name", "ports": "port"}
PROFILE_REPLACE_FIELDS: frozenset[str] = frozenset({"allowTraffic"})
SNIPPET_MERGE_KEYS: Mapping[str, str] = {"containers": "name", "ports": "name"}


class MergeKeyError(HyscaleError):
    """Two lists of objects met with no key to match their elements by."""

    def __init__(self, path: tuple[str | int, ...]) -> None:
        self.path = path
        self.field = str(path[-1])
        super().__init__(f"Merge key not found while merging {self.field}")


def strategic_merge(source: Any, patch: Any, keys: Mapping[str, str],
                    replace: frozenset[str] = frozenset(), _at: tuple[str | int, ...] = ()) -> Any:
    """Return ``source`` with ``patch`` merged in; neither argument is modified."""
    if patch is None:
        return source
    if source is None:
        return patch
    if isinstance(source, dict) and isinstance(patch, dict):
        merged = dict(source)
        for key, value in patch.items():
            if value is None:
                continue
            if key not in merged or _kind(merged[key]) != _kind(value):
                merged[key] = value
            elif isinstance(value, list):
                merged[key] = value if key in replace else _merge_list(
                    (*_at, key), merged[key], value, keys, replace)
            elif isinstance(value, dict):
                merged[key] = strategic_merge(merged[key], value, keys, replace, (*_at, key))
            else:
                merged[key] = value
        return merged
    return patch


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "scalar"


def _merge_list(at: tuple[str | int, ...], source: list[Any], patch: list[Any],
                keys: Mapping[str, str], replace: frozenset[str]) -> list[Any]:
    result = list(source)
    for position, element in enumerate(patch):
        if not isinstance(element, dict):
            if element not in result:
                result.append(element)
            continue
        key = keys.get(str(at[-1]))
        if key is None:
            raise MergeKeyError(at)
        for index, existing in enumerate(result):
            if isinstance(existing, dict) and key in element and \
                    str(existing.get(key)) == str(element[key]):
                result[index] = strategic_merge(existing, element, keys, replace,
                                                (*at, position))
                break
        else:
            result.append(element)
    return result
