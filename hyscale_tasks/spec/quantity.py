"""Kubernetes resource quantities, just enough to compare them and to write sizes correctly."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
            "k": Decimal("1e3"), "M": Decimal("1e6"), "G": Decimal("1e9"), "T": Decimal("1e12"),
            "P": Decimal("1e15"), "E": Decimal("1e18")}
_QUANTITY = re.compile(r"^(?P<number>\d+(\.\d*)?|\.\d+)(?P<suffix>[KMGTPE]i|[numkMGTPE]?)$")


def parse(text: str) -> Decimal | None:
    """The value of a quantity such as ``512Mi``, ``0.5`` or ``250m``; None when malformed."""
    match = _QUANTITY.match(text.strip())
    if match is None:
        return None
    try:
        number = Decimal(match.group("number"))
    except InvalidOperation:
        return None
    suffix = match.group("suffix")
    return number * (_BINARY[suffix] if suffix in _BINARY else _DECIMAL[suffix])


def storage_size(text: str) -> str:
    """A volume size as Kubernetes reads it; HyScale's docs write ``1g``, which means 1G."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([kgtpe])(i?)", text.strip(), flags=re.IGNORECASE)
    if match is None:
        return text.strip()
    number, unit, binary = match.groups()
    return f"{number}{unit.upper()}{'i' if binary else ''}"
