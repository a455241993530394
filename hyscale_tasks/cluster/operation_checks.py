"""HyScale's checks of an operation's options, with its messages: the one home of both, for the
``hyscale`` command (which refuses them as invalid input, before it connects) and the doit
tasks. Each answers the problem, or None; the caller raises its own kind of error. Imports
nothing: the command checks before anything is loaded.
"""

from __future__ import annotations

# HyScale's words for a service scaled to 0: the rollout wait says it and returns, the logs
# refuse with it.
ZERO_REPLICAS = "Service has zero replicas"


def scale_problem(up: int | None, down: int | None, to: int | None) -> str | None:
    """What HyScale says of a replica count it refuses (None: not given)."""
    for value in (up, down, to):
        if value is not None and value < 0:
            return f"INVALID VALUE {value} : must be greater than or equal to 0"
    if down == 0:
        return "INVALID VALUE 0 : scale down by value must be greater than 0"
    return None


def lines_problem(lines: int) -> str | None:
    """What HyScale says of a log line count it refuses."""
    return "Logs lines must be more than 1" if lines < 1 else None
