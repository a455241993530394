"""Kubernetes resource quantities (``512Mi``, ``0.5``, ``250m``) as numbers, for the scheduler and
for request/limit validation. Test code: kept separate from the tool's own parser on purpose, so the
stand-in never trusts the code it tests; the official client's parser does the arithmetic."""

from __future__ import annotations

import re
from decimal import Decimal

from kubernetes.utils import quantity as kube_quantity

_QUANTITY = re.compile(r"([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?")


def parse_quantity(value: object) -> Decimal | None:
    """The value as a Decimal, or None when it is not a quantity."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    if not isinstance(value, str):
        return None
    # The grammar is checked here (the client's parser would take "NaN" or "1_000", which an API
    # server refuses); the arithmetic is the client's.
    if not _QUANTITY.fullmatch(value.strip()):
        return None
    try:
        parsed: Decimal = kube_quantity.parse_quantity(value.strip())
    except ValueError:
        return None
    return parsed
