"""Reading the user's files: bounded in size, and every way a read can fail said in one line.

Specs, profiles, k8s snippets and ``file()`` props are read by the ``spec`` stage. A path that
is a symbolic link loop, a FIFO (whose read blocks forever), a device (``/dev/zero`` never
ends), unreadable, or far bigger than Kubernetes could ever take must end in a located
:class:`~hyscale_tasks.errors.SpecError` with a fix, never in a traceback or a hang.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

KiB = 1 << 10
MiB = 1 << 20

NOT_FOUND = "not found"
IS_A_DIRECTORY = "is a directory"

_KINDS = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def human_size(size: int) -> str:
    """``50.0 MiB``, ``300.5 KiB``, ``812 bytes``: sizes as the limits are written."""
    if size >= MiB:
        return f"{size / MiB:.1f} MiB"
    if size >= KiB:
        return f"{size / KiB:.1f} KiB"
    return f"{size} bytes"


def problem(path: Path) -> tuple[str, str] | None:
    """Why ``path`` cannot be read as a regular file, as (state, fix); None when it can.

    ``state`` reads after the file's name: "web.hspec is a symbolic link loop".
    """
    try:
        status = path.stat()
    except OSError as exc:
        return os_problem(exc, path)
    if stat.S_ISDIR(status.st_mode):
        return IS_A_DIRECTORY, "Name a file, not a folder."
    for test, kind in _KINDS:
        if test(status.st_mode):
            return f"is not a regular file but {kind}", "Name a regular file."
    return None


def os_problem(exc: OSError, path: Path) -> tuple[str, str]:
    """State and fix for an ``OSError`` met while looking at or reading ``path``."""
    if exc.errno == errno.ENOENT:
        return NOT_FOUND, "Check the file name and the folder it is in."
    if exc.errno == errno.ELOOP:
        return ("is a symbolic link loop",
                f"Point the link at a real file ('ls -l {path}' shows where it points).")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return ("cannot be read: permission denied",
                f"Make it readable by this user (e.g. 'chmod a+r {path}' and a+x on its folders).")
    if exc.errno == errno.ENOTDIR:
        return NOT_FOUND, "A folder in the path is a file: check the path."
    return f"cannot be read: {exc.strerror or exc}", "Check the file and the folders above it."


def read_bounded(path: Path, limit: int) -> tuple[bytes, int]:
    """The first ``limit`` bytes of ``path`` and its size; raises ``OSError``.

    Call :func:`problem` first: it is what keeps FIFOs and devices from being opened at all.
    """
    with path.open("rb") as stream:
        data = stream.read(limit + 1)
        size = max(os.fstat(stream.fileno()).st_size, len(data))
    return data[:limit], size
