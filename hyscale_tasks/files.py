"""Writing outputs so that an unchanged output keeps its bytes and its mtime; reading records.

doit compares file_dep content, so a stage that rewrites identical bytes costs nothing in
correctness, but a new mtime makes every later no-op run hash the file again (doit-notes §2.5).
Writes go through a temporary file and ``os.replace``, so a reader never sees half a file.

Records are read back through :func:`read_json`, which checks their top-level shape: a record
someone truncated or overwrote is one :class:`~hyscale_tasks.errors.CorruptRecordError` (a
message with the fix, or "out of date" to the readers that catch ``ValueError``), never a
``KeyError`` deep in a stage.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hyscale_tasks.errors import CorruptRecordError
from hyscale_tasks.paths import writing_task

PRIVATE = 0o600
PUBLIC = 0o644

# What a record must hold at its top level: field -> the JSON type(s) it has.
Shape = Mapping[str, type | tuple[type, ...]]
INDEX: Shape = {"folder": str, "files": dict}  # the index of write_output_set


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


def read_json(path: Path, shape: Shape | None = None) -> dict[str, Any]:
    """The JSON object in ``path``, holding at least the fields of ``shape``.

    A missing file is the ``OSError`` it always was; anything else that is not such an object
    (not UTF-8, not JSON, cut short, a list, a field missing or of another type) is a
    :class:`CorruptRecordError`."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise CorruptRecordError(path, "not UTF-8 text", writing_task(path)) from None
    except json.JSONDecodeError as exc:
        raise CorruptRecordError(path, f"not JSON: {exc.msg} at line {exc.lineno} column "
                                 f"{exc.colno}", writing_task(path)) from None
    if not isinstance(value, dict):
        raise CorruptRecordError(path, f"a JSON {type(value).__name__} where an object belongs",
                                 writing_task(path))
    for name, kind in (shape or {}).items():
        if not isinstance(value.get(name), kind):
            state = "missing" if name not in value else f"a {type(value[name]).__name__}"
            raise CorruptRecordError(path, f"field '{name}' is {state}", writing_task(path))
    return value


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
    for stale in sorted(_previous_files(folder, index) - set(files)):
        (folder / stale).unlink(missing_ok=True)
        touched.append(stale)
    _remove_empty_dirs(folder)
    record = {"folder": str(folder),
              "files": {name: sha256_bytes(data) for name, (data, _) in files.items()}}
    write_json_if_changed(index, record)
    return touched


def _previous_files(folder: Path, index: Path) -> set[str]:
    """What the last write left in ``folder``: the files its index lists or, with no readable
    index, every file there (the folder is the stage's own), so none outlives its index."""
    try:
        return set(read_json(index, INDEX)["files"])
    except (OSError, ValueError):
        if not folder.is_dir():
            return set()
        return {str(path.relative_to(folder)) for path in folder.rglob("*")
                if path.is_file() or path.is_symlink()}


def output_set_intact(index: Path) -> bool:
    """True when every file ``index`` lists is still there with the content it recorded."""
    try:
        record = read_json(index, INDEX)
        folder = Path(record["folder"])
        return all(isinstance(digest, str) and sha256_file(folder / name) == digest
                   for name, digest in record["files"].items())
    except (OSError, ValueError):
        return False


def _remove_empty_dirs(folder: Path) -> None:
    if not folder.is_dir():
        return
    for root, _, _ in os.walk(folder, topdown=False):
        if Path(root) != folder and not any(Path(root).iterdir()):
            Path(root).rmdir()
