"""HyScale's console look (its WorkflowLogger): headers, ``[ACTION]`` activity lines, tables.

An activity line is written without its end (``[ACTION]  Building image .....``) so that
``[DONE]`` can close it, as HyScale does. The stages print their own lines meanwhile (warnings,
``-v`` build output, the deploy's progress): :meth:`Console.guard` wraps ``sys.stdout`` and
``sys.stderr`` so that such a line first ends the open activity line, and the activity is
written again, complete, when it ends.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from hyscale_tasks import lines
from hyscale_tasks.cluster.tables import table

ACTIVITY_WIDTH = 82
HEADER_STARS = "*" * 26
FOOTER = "*" * 104


class Console:
    """Human output on ``out``; ``quiet`` (``-o json``) writes nothing."""

    def __init__(self, out: TextIO | None = None, quiet: bool = False) -> None:
        self.out = out or sys.stdout
        self.quiet = quiet
        self._activity: str | None = None  # the message of the activity line left open
        self._interrupted = False

    def write(self, text: str) -> None:
        if self.quiet:
            return
        self.interrupt()
        self.out.write(text)
        self.out.flush()

    def interrupt(self) -> None:
        """Someone else writes: end the open activity line first."""
        if self._activity is not None and not self._interrupted and not self.quiet:
            self._interrupted = True
            self.out.write("\n")
            self.out.flush()

    def header(self, message: str) -> None:
        self.write(f"\n{HEADER_STARS}{message:^50}{HEADER_STARS}\n\n")

    def footer(self) -> None:
        self.write(f"\n{FOOTER}\n")

    def info(self, message: str) -> None:
        self.write(f"{lines.INFO}{message}\n")

    def warn(self, message: str) -> None:
        self.write(f"{lines.WARN}{message}\n")

    def start(self, message: str) -> None:
        self.write(_activity(message))
        self._activity, self._interrupted = message, False

    def end(self, status: str) -> None:
        """Close the open activity with ``DONE``, ``SKIPPED``, ``FAILED`` ..."""
        message, interrupted = self._activity, self._interrupted
        self._activity = None
        if message is None or self.quiet:
            return
        self.write(f"  [{status}]\n" if not interrupted else f"{_activity(message)}  [{status}]\n")

    def activity(self, message: str, status: str) -> None:
        self.start(message)
        self.end(status)

    def table(self, rows: list[list[str]], widths: list[int]) -> None:
        self.write(table(rows, widths) + "\n")

    @contextmanager
    def guard(self) -> Iterator[None]:
        """While doit runs the stages in this process, let their output end an open activity."""
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _Guarded(saved[0], self), _Guarded(saved[1], self)
        try:
            yield
        finally:
            sys.stdout, sys.stderr = saved


def error(message: str) -> None:
    """An error line on stderr, HyScale's ``[ERROR]`` tag on each line of the message."""
    lines.error(message)


def _activity(message: str) -> str:
    return f"[ACTION]  {message} ".ljust(ACTIVITY_WIDTH, ".")


class _Guarded:
    """A text stream that ends the console's open activity line before anything is written."""

    def __init__(self, stream: TextIO, console: Console) -> None:
        self._stream = stream
        self._console = console

    def write(self, text: str) -> int:
        if text:
            self._console.interrupt()
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding...
        return getattr(self._stream, name)


def emit_json(document: object) -> None:
    """``-o json``: one pretty JSON document on stdout, as HyScale's StructuredOutputHandler."""
    print(json.dumps(document, indent=2, ensure_ascii=False), flush=True)
