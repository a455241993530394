"""Reading the event streams of docker build and push into a log file (and the console).

The SDK does not raise for an error event inside a stream (a push refused by the registry ends
with ``{"error": ...}`` and no exception, test-infra §3), so every event is checked here.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from hyscale_tasks.errors import HyscaleError

TAIL_LINES = 15
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class StreamLog:
    """Appends a stream's text to ``path`` (owner-only) and keeps its last lines for errors."""

    def __init__(self, path: Path, echo: bool) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = path
        self._file: TextIO = path.open("w", encoding="utf-8")
        path.chmod(0o600)
        self._echo = echo
        self._tail: list[str] = []
        self._pending = ""

    def write(self, text: str, whole_line: bool = True) -> None:
        """Append ``text``; ``whole_line`` ends it with a newline (a status event), else it is
        written as docker sent it (a build's output arrives in pieces of lines)."""
        if not text:
            return
        text = _ANSI.sub("", text)  # the classic builder paints stderr red; a log file wants text
        if whole_line and not text.endswith("\n"):
            text += "\n"
        self._file.write(text)
        self._file.flush()
        if self._echo:
            sys.stderr.write(text)
            sys.stderr.flush()
        self._pending += text
        *complete, self._pending = self._pending.split("\n")
        self._tail = (self._tail + complete)[-TAIL_LINES:]

    def tail(self) -> str:
        lines = self._tail + ([self._pending] if self._pending else [])
        return "\n".join(f"    {line}" for line in lines[-TAIL_LINES:])

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> StreamLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DockerError(HyscaleError):
    """The Docker engine could not do what a stage asked of it. (Here, beside the reader of the
    engine's streams, which raises it: neither imports the docker SDK, image/engine.py.)"""


def follow(events: Iterable[dict[str, Any]], log: StreamLog, doing: str) -> list[dict[str, Any]]:
    """Log every event; raise :class:`DockerError` on the first error event. Returns the
    ``aux`` payloads (image id of a build, digest of a push)."""
    aux: list[dict[str, Any]] = []
    for event in events:
        if "error" in event or "errorDetail" in event:
            message = event.get("error") or event.get("errorDetail", {}).get("message", "")
            log.write(f"ERROR: {message}")
            raise DockerError(f"Failed to {doing}: {message}\n  last lines of {log.path}:\n{log.tail()}")
        if "stream" in event:
            log.write(str(event["stream"]), whole_line=False)
        else:
            log.write(_text(event))
        if isinstance(event.get("aux"), dict):
            aux.append(event["aux"])
    return aux


def _text(event: dict[str, Any]) -> str:
    status = event.get("status")
    if status is None:
        return ""
    ident = event.get("id")
    progress = event.get("progress")
    return " ".join(str(part) for part in (ident and f"{ident}:", status, progress) if part)
