"""doit's sqlite3 backend, made safe for two ``doit`` runs on one app at the same time.

doit keeps task records in memory and writes the ones that changed when a run ends; sqlite3
merges two runs' records correctly, except that a failed task's DELETE runs inside a transaction
that stays open for the rest of the run and makes the other run fail with "database is locked"
and lose all its records (doit-notes §3.3). Here every write commits at once, under an exclusive
file lock, and a busy database is waited for instead of failing.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from doit.dependency import SqliteDB

BUSY_TIMEOUT_MS = 120_000


class LockedSqliteDB(SqliteDB):  # type: ignore[misc]  # doit ships no type hints
    desc = "sqlite3, with writes serialized by a file lock (safe for concurrent runs)"

    def __init__(self, name: str, codec: Any, *, module_name: str | None = None) -> None:
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        self._lock_path = Path(f"{name}.lock")
        super().__init__(name, codec, module_name=module_name)
        self._conn.execute(f"pragma busy_timeout = {BUSY_TIMEOUT_MS}")

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
