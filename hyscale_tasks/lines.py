"""The tool's messages on stderr, each written whole: ``[INFO]  ...``, ``[WARN]  ...``, ``[ERROR]  ...``.

Python writes stderr through, unbuffered: ``print(text)`` is two writes, the text and then its
newline. The deploy processes of one run (``doit -n 4 -P process``) share the terminal, so one
process's line could land in the middle of another's, and an error's ``fix:`` line apart from
it. Everything here goes out in one write, a message of several lines included.
"""

from __future__ import annotations

import sys


def say(text: str) -> None:
    """``text`` and its newline in one write (lines and all), flushed."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def info(message: str) -> None:
    say(f"[INFO]  {message}")


def warn(message: str) -> None:
    say(f"[WARN]  {message}")


def error(message: str) -> None:
    """HyScale's ``[ERROR]`` tag on each line of the message, but for its indented ``fix:``
    and detail lines."""
    say("\n".join(f"[ERROR]  {line}" if not line.startswith("  ") else line
                  for line in message.splitlines() or [""]))
