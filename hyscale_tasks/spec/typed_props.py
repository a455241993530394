"""HyScale's typed prop values: ``file(<path>)``, ``endpoint(<host>)`` and ``string(<text>)``.

Its own small module because task loading asks which files a spec's ``file()`` props name
(:mod:`.references`) and must not pay for importing the whole spec model to learn it.
"""

from __future__ import annotations

import re
from typing import Any

TYPED_PROP = re.compile(r"(file|endpoint|string)\((.*)\)", re.IGNORECASE | re.DOTALL)


def typed(text: str) -> tuple[str, str] | None:
    """``(kind, argument)`` of a typed prop value (kind in lower case), None for a plain one."""
    match = TYPED_PROP.fullmatch(text.strip())
    return (match.group(1).lower(), match.group(2)) if match else None


def file_prop_argument(value: Any) -> str | None:
    """The path inside ``file(...)``, or None when the prop is not a file prop."""
    if not isinstance(value, str):  # a number or a boolean; a list or mapping fails the schema
        return None
    found = typed(value)
    if found is None or found[0] != "file":
        return None
    return found[1].strip()
