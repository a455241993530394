"""Snippet insertion into a manifest tree, as HyScale's ManifestTreeUtils does it (§6.10).

Each dotted segment is created when missing (``name[i]`` creates or pads a list with empty
objects up to index i). At the leaf, a list receives the value appended (each element of a list
value), anything else is replaced: so two plugins writing one list path concatenate.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from hyscale_tasks.errors import HyscaleError

_SEGMENT = re.compile(r"^(?P<key>[^\[\]]+)(?:\[(?P<index>\d+)\])?$")


class InjectionError(HyscaleError):
    """A snippet path that does not fit the tree it is inserted into."""


def inject(root: dict[str, Any], path: str, value: Any) -> None:
    """Insert a deep copy of ``value`` at dotted ``path`` in ``root`` (modified in place)."""
    if not path:
        raise InjectionError("Error while injecting manifest snippets to manifest: empty path")
    value = copy.deepcopy(value)
    *parents, leaf = [_parse(segment, path) for segment in path.split(".")]
    node: Any = root
    for key, index in parents:
        node = _descend(node, key, index, path)
    key, index = leaf
    if index is not None:
        node = _descend_list(node, key, index, path)
        _place(node, index, value)
        return
    current = node.get(key)
    if isinstance(current, list):
        current.extend(value if isinstance(value, list) else [value])
    elif current is None and isinstance(value, list):
        node[key] = list(value)
    else:
        node[key] = value


def _parse(segment: str, path: str) -> tuple[str, int | None]:
    match = _SEGMENT.match(segment)
    if match is None:
        raise InjectionError(f"Error while injecting manifest snippets: bad path {path!r}")
    index = match.group("index")
    return match.group("key"), int(index) if index is not None else None


def _descend(node: dict[str, Any], key: str, index: int | None, path: str) -> Any:
    if index is None:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise InjectionError(f"Error while injecting manifest snippets at {path!r}: "
                                 f"{key} is not an object")
        return child
    items = _descend_list(node, key, index, path)
    return items[index]


def _descend_list(node: dict[str, Any], key: str, index: int, path: str) -> list[Any]:
    items = node.setdefault(key, [])
    if not isinstance(items, list):
        raise InjectionError(f"Parent found to be non-array node {key} while injecting {path!r}")
    while len(items) <= index:
        items.append({})
    return items


def _place(items: list[Any], index: int, value: Any) -> None:
    items[index] = value
