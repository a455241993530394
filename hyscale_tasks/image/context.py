"""The content digest of a docker build context, honouring its ``.dockerignore``.

A build context is a directory, and doit cannot depend on a directory (doit-notes §2.4), so the
build stage depends on this digest instead. Which files are sent is decided by the docker SDK's
own ``.dockerignore`` matcher, so the digest covers exactly what the daemon would see. Hashes
are cached by (size, mtime, ctime): a no-op check reads no file content. The cache also keeps the
folders the matcher walked and their mtimes (a file added, removed or renamed changes its
folder's): when none changed, nor any file, nor the ``.dockerignore``, the digest is the cached
one without walking, so a no-op run does not import the docker SDK (~0.25 s) for its matcher.
With a ``!`` exception in ``.dockerignore`` a file can be sent from a folder the matcher did not
list, and the context is always walked.

A file docker could not send either (unreadable, a folder it cannot list) fails the digest with
one message that names it; a symbolic link is sent as a link, so a dangling or looping one is
left out of the digest (its target is not content docker sends).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from hyscale_tasks.errors import HyscaleError
from hyscale_tasks.files import sha256_file
from hyscale_tasks.stage_records import ContextHashes, last_context_hashes, write_context_hashes


def _ignore_patterns(context: Path) -> list[str]:
    ignore = context / ".dockerignore"
    if not ignore.is_file():
        return []
    lines = (line.strip() for line in ignore.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def context_files(context: Path, dockerfile: Path) -> list[str]:
    """Paths (relative, sorted) of the files docker would send for this context."""
    return sorted(path for path in _sent(context, dockerfile) if (context / path).is_file())


def _sent(context: Path, dockerfile: Path) -> set[str]:
    """What the docker SDK's matcher sends: files, and the folders it walked into."""
    # (here: a no-op run never needs it; through image/engine.py, which a build may be
    # importing in the background: two threads importing the docker SDK get it half-done)
    from hyscale_tasks.image import engine  # noqa: F401, I001  (first, as said above)
    from docker.utils.build import exclude_paths

    try:
        relative_dockerfile = str(dockerfile.relative_to(context))
    except ValueError:  # a Dockerfile outside the context is sent separately by docker
        relative_dockerfile = None
    return set(exclude_paths(str(context), _ignore_patterns(context), relative_dockerfile))


def context_digest(context: Path, dockerfile: Path, cache_file: Path) -> str:
    """sha256 over every sent file's path, mode and content, and the Dockerfile's content."""
    cache = last_context_hashes(cache_file)
    try:
        unchanged = _unchanged_digest(context, dockerfile, cache) if cache else None
        if unchanged is not None:
            return unchanged
        hashed = (cache.get("files") if cache else None) or {}
        files: dict[str, list[Any]] = {}
        digest = hashlib.sha256()
        sent = _sent(context, dockerfile)
        for relative in sorted(path for path in sent if (context / path).is_file()):
            path = context / relative
            key = _key(path)
            content = _cached(hashed, relative, key) or sha256_file(path)
            files[relative] = [*key, content]
            digest.update(f"{relative}\0{path.lstat().st_mode & 0o777:o}\0{content}\n".encode())
        digest.update(b"Dockerfile\0" + sha256_file(dockerfile).encode())
        walked = {".", *(p for p in sent if (context / p).is_dir()),
                  *(str(Path(p).parent) for p in files)}
        fresh: ContextHashes = {
            "digest": digest.hexdigest(), "files": files, "ignore": _ignore_text(context),
            "dockerfile": [str(dockerfile), *_key(dockerfile)],
            "folders": {folder: (context / folder).stat().st_mtime_ns for folder in walked}}
    except (OSError, UnicodeDecodeError) as exc:
        raise unreadable(context, exc) from None
    write_context_hashes(cache_file, fresh)
    return fresh["digest"]


def _unchanged_digest(context: Path, dockerfile: Path, cache: ContextHashes) -> str | None:
    """The cached digest when nothing the matcher saw has changed since; else None."""
    ignore = _ignore_text(context)
    if not isinstance(cache.get("digest"), str) or cache.get("ignore") != ignore or \
            any(line.strip().startswith("!") for line in ignore.splitlines()) or \
            cache.get("dockerfile") != [str(dockerfile), *_key(dockerfile)]:
        return None
    folders, files = cache.get("folders"), cache.get("files")
    if not isinstance(folders, dict) or not isinstance(files, dict):
        return None
    try:
        if any((context / folder).stat().st_mtime_ns != mtime for folder, mtime in folders.items()) \
                or any(_cached(files, relative, _key(context / relative)) is None
                       for relative in files):
            return None
    except OSError:  # gone: the walk says what is there now (or why it cannot be read)
        return None
    return str(cache["digest"])


def _key(path: Path) -> list[int]:
    stat = path.lstat()
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]


def _ignore_text(context: Path) -> str:
    ignore = context / ".dockerignore"
    return ignore.read_text(encoding="utf-8") if ignore.is_file() else ""


def unreadable(context: Path, exc: OSError | UnicodeDecodeError) -> HyscaleError:
    if isinstance(exc, UnicodeDecodeError):  # only .dockerignore is read as text
        what, why = context / ".dockerignore", "it is not UTF-8 text"
    else:
        what, why = Path(exc.filename or context), (exc.strerror or str(exc)).lower()
    return HyscaleError(
        f"Cannot read {what} in the build context {context}: {why}.", "make it readable "
        f"(or fix the link), or keep it out of the image by listing it in {context}/.dockerignore; "
        "then run the same command again.")


def _cached(cache: dict[str, list[Any]], relative: str, key: list[int]) -> str | None:
    """The cached hash of a file whose (size, mtime, ctime) is ``key``; None for a changed
    file or an entry that is not ours (the cache is only a cache: never trusted for shape)."""
    entry = cache.get(relative)
    if isinstance(entry, list) and len(entry) == 4 and entry[:3] == key \
            and isinstance(entry[3], str):
        return entry[3]
    return None


