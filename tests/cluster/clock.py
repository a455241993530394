"""Timestamps as the apiserver writes them (RFC 3339, UTC, second precision)."""

from __future__ import annotations

import datetime as _dt


def now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


def stamp(at: _dt.datetime | None = None) -> str:
    return (at or now()).strftime("%Y-%m-%dT%H:%M:%SZ")


def stamp_micro(at: _dt.datetime | None = None) -> str:
    """``MicroTime`` (event series, pod log timestamps use nanoseconds; micro is enough here)."""
    return (at or now()).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse(text: str) -> _dt.datetime:
    return _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def age_seconds(text: str | None) -> float:
    if not text:
        return 0.0
    return (now() - parse(text)).total_seconds()
