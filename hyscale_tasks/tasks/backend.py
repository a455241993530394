"""doit's sqlite3 backend, made safe for two ``doit`` runs on one app at the same time, and for a
state database that is damaged.

doit keeps task records in memory and writes the ones that changed when a run ends; sqlite3
merges two runs' records correctly, except that a failed task's DELETE runs inside a transaction
that stays open for the rest of the run and makes the other run fail with "database is locked"
and lose all its records (doit-notes §3.3). Here every write commits at once, under an exclusive
file lock, and a busy database is waited for instead of failing.

A database that cannot be used (not sqlite, damaged pages, records that are not JSON, a folder
where the file should be) is found when the run opens it, before any task runs: doit would
otherwise print a traceback there, or in the middle of the run when it first reads a record.
The run stops with one message that names the file and the fix (remove it: the records only save
work, and every stage is checked anew without them).
"""

from __future__ import annotations

import fcntl
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from doit.dependency import DatabaseException, SqliteDB
from doit.exceptions import InvalidCommand

from hyscale_tasks.errors import layout

BUSY_TIMEOUT_MS = 120_000


def unusable(path: Path, cause: object, what: str = "doit state database") -> InvalidCommand:
    """The report of a state database (or its lock file) that cannot be used, with the fix."""
    if isinstance(cause, ValueError) and not str(cause).startswith("the record"):
        reason = "a task record is not valid JSON"
    else:  # doit wraps sqlite's own reason in two lines of advice of its own
        reason = str(cause).rsplit("Original error:", 1)[-1].strip() or type(cause).__name__
    return InvalidCommand(layout(
        f"The {what} {path} cannot be used ({reason}).",
        f"remove it (rm -r '{path}'); the next run checks every stage anew, and stages whose "
        "outputs are unchanged write nothing."))


class LockedSqliteDB(SqliteDB):  # type: ignore[misc]  # doit ships no type hints
    desc = "sqlite3, with writes serialized by a file lock (safe for concurrent runs)"

    def __init__(self, name: str, codec: Any, *, module_name: str | None = None) -> None:
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        self._lock_path = Path(f"{name}.lock")
        try:
            self._lock_path.open("a").close()
        except OSError as exc:
            raise unusable(self._lock_path, exc.strerror or exc, "lock file of the state database") from None
        try:
            super().__init__(name, codec, module_name=module_name)
            self._conn.execute(f"pragma busy_timeout = {BUSY_TIMEOUT_MS}")
            self._check_records()
        except (sqlite3.Error, DatabaseException, ValueError, TypeError) as exc:
            raise unusable(Path(name), exc) from None

    def _check_records(self) -> None:
        """Read every record once (a few dozen per app): damage shows here, not mid-run."""
        for row in self._conn.execute("select task_id, task_data from doit"):
            if not isinstance(row["task_data"], dict):
                raise ValueError(f"the record of {row['task_id']!r} is not a JSON object")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock_path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def dump(self) -> None:
        with self._locked():
            super().dump()

    def remove(self, task_id: str) -> None:
        with self._locked():
            super().remove(task_id)
            self._conn.commit()

    def remove_all(self) -> None:
        with self._locked():
            super().remove_all()
            self._conn.commit()


class KeptWhenNotRun:
    """The run's state database, except that a task that did not run keeps its record.

    Under ``--continue`` doit deletes the record of every task a failure kept from running (its
    UnmetDependency: a service's push and deploy after its build failed), so the next run would
    redo them although nothing they read changed: a push, an apply and a rollout wait. Without
    ``--continue`` doit keeps those records; so does this. A task that ran and failed still loses
    its record, and runs again next time. For runs that are serial, in one process (no ``-n``):
    the ``hyscale`` command's and the dev loop's; there ``task.executed`` says whether a task
    ran."""

    def __init__(self, database: Any) -> None:
        self._database = database

    def remove_success(self, task: Any) -> None:
        if task.executed:
            self._database.remove_success(task)

    def __getattr__(self, name: str) -> Any:  # every other use of the database, as it is
        return getattr(self._database, name)
