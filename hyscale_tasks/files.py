"""Writing outputs so that an unchanged output keeps its bytes and its mtime.

doit compares file_dep content, so a stage that rewrites identical bytes costs nothing in
correctness, but a new mtime makes every later no-op run hash the file again (doit-notes §2.5).
Writes go through a temporary file and ``os.replace``, so a reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

PRIVATE = 0o600
PUBLIC = 0o644


def write_if_changed(path: Path, content: bytes | str, mode: int = PRIVATE) -> bool:
    """Write ``content`` to ``path`` unless it already holds it; True when it wrote."""
    data = content.encode() if isinstance(content, str) else content
    try:
        if path.read_bytes() == data:
            if path.stat().st_mode & 0o777 != mode:
                path.chmod(mode)
            return False
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def write_json_if_changed(path: Path, value: Any, mode: int = PRIVATE) -> bool:
    return write_if_changed(path, json.dumps(value, indent=1) + "\n", mode)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_output_set(folder: Path, files: dict[str, tuple[bytes, int]], index: Path) -> list[str]:
    """Make ``folder`` hold exactly ``files`` (relative path -> content, mode) and record them.

    Unchanged files are left alone, stale ones removed, and ``index`` lists every file with its
    sha256 so :func:`output_set_intact` can tell later whether someone changed or deleted one.
    Returns the relative paths that were written or removed.
    """
    touched = [name for name, (data, mode) in sorted(files.items())
               if write_if_changed(folder / name, data, mode)]
    previous = read_json(index)["files"] if index.is_file() else {}
    for stale in sorted(set(previous) - set(files)):
        (folder / stale).unlink(missing_ok=True)
        touched.append(stale)
    _remove_empty_dirs(folder)
    record = {"folder": str(folder),
              "files": {name: sha256_bytes(data) for name, (data, _) in files.items()}}
    write_json_if_changed(index, record)
    return touched


def output_set_intact(index: Path) -> bool:
    """True when every file ``index`` lists is still there with the content it recorded."""
    try:
        record = read_json(index)
        folder = Path(record["folder"])
        return all(sha256_file(folder / name) == digest
                   for name, digest in record["files"].items())
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _remove_empty_dirs(folder: Path) -> None:
    if not folder.is_dir():
        return
    for root, _, _ in os.walk(folder, topdown=False):
        if Path(root) != folder and not any(Path(root).iterdir()):
            Path(root).rmdir()
