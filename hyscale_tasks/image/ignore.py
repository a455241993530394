"""Whether docker sends a file of a build context, by the context's ``.dockerignore``.

The dev loop asks it of each changed file in a user Dockerfile's context, so that a save to a
file the image never sees (a test report, an editor's backup) starts no turn. The answer is
docker's own matcher's, over the same patterns :mod:`.context` hashes the context with.
"""

from __future__ import annotations

from pathlib import Path

from docker.utils.build import PatternMatcher

from hyscale_tasks.image.context import _ignore_patterns  # the very patterns the digest uses


def sent(context: Path, dockerfile: Path, path: Path) -> bool:
    """True when a build would send ``path`` (a file in ``context``), as docker decides it:
    the Dockerfile and ``.dockerignore`` always count (docker reads both)."""
    if path in (dockerfile, context / ".dockerignore"):
        return True
    try:
        relative = path.relative_to(context)
    except ValueError:
        return False
    try:
        patterns = _ignore_patterns(context)
    except (OSError, UnicodeDecodeError):  # the build stage says what is wrong with it
        return True
    return not PatternMatcher(patterns).matches(str(relative))
