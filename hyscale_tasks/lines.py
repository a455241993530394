"""The tool's messages, HyScale's way: ``[INFO]  ...``, ``[WARN]  ...``, ``[ERROR]  ...`` (the one
module that writes those tags), on stderr, each written whole.

Python writes stderr through, unbuffered: ``print(text)`` is two writes, the text and then its
newline. The deploy processes of one run (``doit -n 4 -P process``) share the terminal, so one
process's line could land in the middle of another's, and an error's ``fix:`` line apart from
it. Everything here goes out in one write, a message of several lines included.
"""

from __future__ import annotations

import sys

from hyscale_tasks.errors import DETAIL_INDENT, HyscaleError

INFO = "[INFO]  "
WARN = "[WARN]  "
ERROR = "[ERROR]  "


def say(text: str) -> None:
    """``text`` and its newline in one write (lines and all), flushed."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def info(message: str) -> None:
    say(INFO + message)


def warn(message: str) -> None:
    say(WARN + message)


def error(problem: HyscaleError | str) -> None:
    """An error as HyScale prints one: the ``[ERROR]`` tag on each line of its cause, its
    ``fix:`` and detail lines (indented, errors.layout) as they are."""
    say("\n".join(line if line.startswith(DETAIL_INDENT) else ERROR + line
                  for line in str(problem).splitlines() or [""]))


def task_error(problem: HyscaleError) -> None:
    """An error that ended a doit action, as doit lays out a failure: the tag once, before it."""
    say(ERROR + str(problem))
