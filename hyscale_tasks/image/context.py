"""The content digest of a docker build context, honouring its ``.dockerignore``.

A build context is a directory, and doit cannot depend on a directory (doit-notes §2.4), so the
build stage depends on this digest instead. Which files are sent is decided by the docker SDK's
own ``.dockerignore`` matcher, so the digest covers exactly what the daemon would see. Hashes
are cached by (size, mtime, ctime): a no-op check reads no file content.

A file docker could not send either (unreadable, a folder it cannot list) fails the digest with
one message that names it; a symbolic link is sent as a link, so a dangling or looping one is
left out of the digest (its target is not content docker sends).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from docker.utils.build import exclude_paths

from hyscale_tasks.errors import HyscaleError
from hyscale_tasks.files import sha256_file, write_json_if_changed


def _ignore_patterns(context: Path) -> list[str]:
    ignore = context / ".dockerignore"
    if not ignore.is_file():
        return []
    lines = (line.strip() for line in ignore.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def context_files(context: Path, dockerfile: Path) -> list[str]:
    """Paths (relative, sorted) of the files docker would send for this context."""
    try:
        relative_dockerfile = str(dockerfile.relative_to(context))
    except ValueError:  # a Dockerfile outside the context is sent separately by docker
        relative_dockerfile = None
    included = exclude_paths(str(context), _ignore_patterns(context), relative_dockerfile)
    return sorted(path for path in included if (context / path).is_file())


def context_digest(context: Path, dockerfile: Path, cache_file: Path) -> str:
    """sha256 over every sent file's path, mode and content, and the Dockerfile's content."""
    cache = _load_cache(cache_file)
    fresh: dict[str, list[object]] = {}
    digest = hashlib.sha256()
    try:
        for relative in context_files(context, dockerfile):
            path = context / relative
            stat = path.lstat()
            key = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]
            content = _cached(cache, relative, key) or sha256_file(path)
            fresh[relative] = [*key, content]
            digest.update(f"{relative}\0{stat.st_mode & 0o777:o}\0{content}\n".encode())
        digest.update(b"Dockerfile\0" + sha256_file(dockerfile).encode())
    except (OSError, UnicodeDecodeError) as exc:
        raise unreadable(context, exc) from None
    write_json_if_changed(cache_file, fresh)
    return digest.hexdigest()


def unreadable(context: Path, exc: OSError | UnicodeDecodeError) -> HyscaleError:
    if isinstance(exc, UnicodeDecodeError):  # only .dockerignore is read as text
        what, why = context / ".dockerignore", "it is not UTF-8 text"
    else:
        what, why = Path(exc.filename or context), (exc.strerror or str(exc)).lower()
    return HyscaleError(
        f"Cannot read {what} in the build context {context}: {why}.\n  fix: make it readable "
        f"(or fix the link), or keep it out of the image by listing it in {context}/.dockerignore; "
        "then run the same command again.")


def _cached(cache: dict[str, list[object]], relative: str, key: list[int]) -> str | None:
    """The cached hash of a file whose (size, mtime, ctime) is ``key``; None for a changed
    file or an entry that is not ours (the cache is only a cache: never trusted for shape)."""
    entry = cache.get(relative)
    if isinstance(entry, list) and len(entry) == 4 and entry[:3] == key \
            and isinstance(entry[3], str):
        return entry[3]
    return None


def _load_cache(cache_file: Path) -> dict[str, list[object]]:
    try:
        loaded = json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}

