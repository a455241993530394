"""The tool's own log: one file per run under ``$HYSCALE_HOME/logs/``, the newest runs kept.

HyScale writes a rolling ``logfile.log`` under its home, at the level ``HYS_LOG_LEVEL`` names
(``info`` by default) and within the total size ``HYS_LOG_SIZE`` (``100MB``). Here a run (a
``doit`` run, a ``hyscale`` command) writes a file of its own, named by its start time (UTC)
and process id, so runs at the same time never interleave and each file is one run's story;
``latest.log`` links to the newest. When a run opens its file, the oldest ones go: at most
:data:`KEPT_RUNS` files and ``HYS_LOG_SIZE`` in all stay.

What goes in (tasks/reporter.py writes the stage events): the run's command, the settings that
change what it does, each stage started (with the reason it runs), finished or failed (with the
error), and the run's outcome; at ``debug`` also each stage found up to date. Messages are the
tool's own, which never quote a secret value (the reasons name fields, never values: see
tasks/reasons.py and ``redacted_spec``); on top of that every registry login the process finds
is kept here (:func:`keep_secret`) and masked should it ever appear in a line. Third-party
loggers (the docker SDK's debug lines name users) do not write into it.

The file is owner-only (0600, in a 0700 folder), like the stage records. This module is imported
while tasks load: ``logging`` itself is imported only when a run opens its log.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from hyscale_tasks import __version__, lines
from hyscale_tasks.home import hyscale_home

if TYPE_CHECKING:
    import logging

LOG_LEVEL = "HYS_LOG_LEVEL"
LOG_SIZE = "HYS_LOG_SIZE"
DEFAULT_LEVEL = "info"  # HyScale's
KEPT_RUNS = 50
MiB = 1024 * 1024
DEFAULT_SIZE = 100 * MiB  # HyScale's HYS_LOG_SIZE default
MIN_SIZE = 10 * MiB  # HyScale's documented minimum
LATEST = "latest.log"
LOGGER = "hyscale"
MASK = "[redacted]"
# HyScale's level names (logback's), and Python's WARNING; "off" writes no file.
LEVELS = {"debug": 10, "info": 20, "warn": 30, "warning": 30, "error": 40, "off": None}
_NAMES = {10: "DEBUG", 20: "INFO", 30: "WARN", 40: "ERROR", 50: "ERROR"}
_RUN_FILE = re.compile(r"\d{8}T\d{6}\.\d{6}Z-\d+\.log")  # what _open_file names a run's file
_UNITS = {"": 1, "b": 1, "kb": 1024, "mb": MiB, "gb": 1024 * MiB}

_secrets: set[str] = set()
_opened: list[Path | None] = []  # this process's run log, once opened (None: not written)
_command: list[str] = []  # the run's command as a front end noted it (note_command)


def keep_secret(value: str) -> None:
    """Mask ``value`` wherever it would appear in this process's log."""
    if value:
        _secrets.add(value)


def redact(text: str) -> str:
    """``text`` with every kept secret masked (longest first: a password inside its login)."""
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def run_logger() -> logging.Logger:
    """The tool log's logger; it writes nothing until :func:`open_run_log` gave it a file."""
    import logging  # here: `doit list` loads this module, and logging costs it ~25 ms

    logger = logging.getLogger(LOGGER)
    if not logger.handlers:
        # Not the root's handlers (a library's lines), nor logging's last resort, which would
        # print a logger's errors on stderr while it has no file (before a run, at "off").
        logger.propagate = False
        logger.addHandler(logging.NullHandler())
    return logger


def note_command(command: list[str]) -> None:
    """The command to name in the log, should this process open one: the ``hyscale`` command
    notes its own before its first doit run (whose ``sys.argv`` would not say it). Nothing is
    written yet: a command that stops on bad input writes nothing under ``$HYSCALE_HOME``."""
    _command[:] = command


def open_run_log(command: list[str]) -> Path | None:
    """Open this run's log file and write its command (the one noted, else ``command``) and
    settings; the file, or None when ``HYS_LOG_LEVEL`` is ``off`` or the folder cannot be
    written. Once per process: the ``hyscale`` command runs doit several times, all in its one
    log. Until then, the logger writes nothing."""
    if _opened:
        return _opened[0]
    command = _command or command
    level = _level()
    logger = run_logger()
    path = None if level is None else _open_file(logger, level)
    _opened.append(path)
    if path is not None:
        logger.info("run: %s", shlex.join(command))
        logger.info("hyscale-tasks %s, Python %s, pid %d, cwd %s", __version__,
                    sys.version.split()[0], os.getpid(), Path.cwd())
        for name, value in sorted(_settings().items()):
            logger.debug("setting %s=%s", name, value)
    return path


def command_line(argv: list[str]) -> list[str]:
    """``argv`` as the user typed it: ``doit ...`` rather than ``.../doit/__main__.py ...``."""
    program = Path(argv[0]).name if argv else "?"
    if program == "__main__.py":
        program = Path(argv[0]).parent.name
    return [program, *argv[1:]]


def _open_file(logger: logging.Logger, level: int) -> Path | None:
    import logging  # here: `doit list` loads this module, and logging costs it ~25 ms

    folder = hyscale_home() / "logs"
    started = time.time()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(started)) + f"{started % 1:.6f}"[1:]
    path = folder / f"{stamp}Z-{os.getpid()}.log"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        _prune(folder, _size_cap())
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError as exc:
        lines.warn(f"No tool log for this run: cannot write {folder} ({exc.strerror}).")
        return None
    handler = logging.StreamHandler(os.fdopen(descriptor, "a", encoding="utf-8"))
    handler.setFormatter(logging.Formatter("%(asctime)s.%(msecs)03d %(level)-5s %(message)s",
                                           "%Y-%m-%d %H:%M:%S"))
    handler.addFilter(_masked)
    logger.addHandler(handler)
    logger.setLevel(level)
    _link_latest(folder, path)
    return path


def _masked(record: logging.LogRecord) -> bool:
    """A handler filter: the line with kept secrets masked, and HyScale's level name."""
    record.msg, record.args = redact(record.getMessage()), None
    record.level = _NAMES.get(record.levelno, record.levelname)
    return True


def _level() -> int | None:
    given = os.environ.get(LOG_LEVEL, "").strip().lower() or DEFAULT_LEVEL
    if given in LEVELS:
        return LEVELS[given]
    lines.warn(f"{LOG_LEVEL}={given} is not a level (debug, info, warn, error, off): "
               f"logging at {DEFAULT_LEVEL}.")
    return LEVELS[DEFAULT_LEVEL]


def _size_cap() -> int:
    given = os.environ.get(LOG_SIZE, "").strip()
    if not given:
        return DEFAULT_SIZE
    found = re.fullmatch(r"(\d+)\s*([kmg]?b?)", given, re.IGNORECASE)
    if found is None:
        lines.warn(f"{LOG_SIZE}={given} is not a size such as 100MB: keeping 100MB of logs.")
        return DEFAULT_SIZE
    return max(MIN_SIZE, int(found[1]) * _UNITS[found[2].lower()])


def _prune(folder: Path, cap: int) -> None:
    """Remove the oldest run logs, leaving room for one more run within both bounds."""
    runs = sorted((entry for entry in os.scandir(folder)
                   if _RUN_FILE.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)),
                  key=lambda entry: entry.name, reverse=True)
    total = 0
    for index, entry in enumerate(runs):
        try:
            total += entry.stat(follow_symlinks=False).st_size
            if index >= KEPT_RUNS - 1 or total > cap:
                os.unlink(entry.path)
        except FileNotFoundError:
            pass  # another run pruned it first


def _link_latest(folder: Path, path: Path) -> None:
    """Point ``latest.log`` at ``path``: a new link renamed over the old one, so a reader
    never finds it missing and runs that start together each leave a whole link."""
    link = folder / f".{path.name}.link"
    try:
        os.symlink(path.name, link)
        os.replace(link, folder / LATEST)
    except OSError:
        pass  # a convenience only: the run's file is there all the same


def _settings() -> dict[str, str]:
    """The settings a run depends on, by name; ``HYS_REGISTRY_CONFIG`` only as given or not."""
    shown = {name: value for name, value in os.environ.items()
             if name.startswith(("HYS_", "HYSCALE_"))
             or name in ("DOCKER_CONFIG", "DOCKER_HOST", "KUBECONFIG")}
    if "HYS_REGISTRY_CONFIG" in shown:
        shown["HYS_REGISTRY_CONFIG"] = "(set; not shown)"
    return shown
