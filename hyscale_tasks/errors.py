"""The one error type for expected failures, and its flavours: a spec error, a corrupt record.

Anything raised as a :class:`HyscaleError` is the user's to fix: the CLI and the doit actions
print its text and exit non-zero without a traceback. Every other exception is a bug.

An error carries what failed and why (``cause``) apart from what to do next (``fix``); its text
lays them out as every output shows them (:func:`layout`), and lines.py tags its lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# How the lines after an error's cause are indented: HyScale's tags go on the cause's lines only.
DETAIL_INDENT = "  "
_FIX = f"{DETAIL_INDENT}fix: "


def layout(cause: str, fix: str | None = None, details: str = "") -> str:
    """An error's text: the cause, then ``  fix: ...`` and the (indented) detail lines."""
    text = cause if fix is None else f"{cause}\n{_FIX}{fix}"
    return f"{text}\n{details}" if details else text


class HyscaleError(Exception):
    """An expected failure: ``cause`` says what failed, where and why, ``fix`` what to do next
    (None when the cause says it all), ``details`` indented lines that show why (a log's tail)."""

    def __init__(self, cause: str, fix: str | None = None, details: str = "") -> None:
        super().__init__(cause)
        self.cause = cause
        self.fix = fix
        self.details = details

    def __str__(self) -> str:
        return layout(self.cause, self.fix, self.details)


@dataclass(frozen=True)
class SpecLocation:
    """Where a value came from: a file, a 1-based line (0 when unknown) and a field path."""

    file: Path
    line: int
    field: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        return f"{where}: {self.field}" if self.field else where


class SpecError(HyscaleError):
    """A service spec or profile that cannot be used, located to its file, line and field."""

    def __init__(self, location: SpecLocation, cause: str, fix: str) -> None:
        super().__init__(cause, fix)
        self.location = location

    def __str__(self) -> str:
        return layout(f"{self.location}: {self.cause}", self.fix, self.details)


class CorruptRecordError(HyscaleError, ValueError):
    """A file the tool wrote (a stage record) that no longer reads as what it wrote.

    Also a ``ValueError``, so the readers that already take an unreadable record for a missing
    one (the stage is then out of date) keep doing so; one that escapes is printed, with the
    fix, without a traceback.
    ``stage`` is the task that writes the file again (``build:web``), when known."""

    def __init__(self, path: Path, reason: str, stage: str | None = None) -> None:
        self.path = path
        self.reason = reason
        redo = f"that stage ({stage}), which writes it again" if stage \
            else "the stage that wrote it"
        super().__init__(f"{path} is corrupt ({reason}).", f"remove it; the next run redoes {redo}.")


def field_path(parts: tuple[str | int, ...] | list[str | int]) -> str:
    """Render a JSON path as a user reads it: ``ports[0].healthCheck.httpPath``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text
