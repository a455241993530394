"""The one error type for expected failures, and its flavours: a spec error, a corrupt record.

Anything raised as a :class:`HyscaleError` is the user's to fix: the CLI and the doit actions
print its text and exit non-zero without a traceback. Every other exception is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class HyscaleError(Exception):
    """An expected failure, with a message that says what failed, why, and what to do next."""


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
        self.location = location
        self.cause = cause
        self.fix = fix
        super().__init__(f"{location}: {cause}\n  fix: {fix}")


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
        super().__init__(f"{path} is corrupt ({reason}).\n  fix: remove it; the next run redoes {redo}.")


def field_path(parts: tuple[str | int, ...] | list[str | int]) -> str:
    """Render a JSON path as a user reads it: ``ports[0].healthCheck.httpPath``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text
