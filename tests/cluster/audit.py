"""The audit log: one JSON object per request, appended as the request is answered.

Fields: ``ts``, ``verb`` (the HTTP method), ``path``, ``query``, ``code``, and when the path is a
resource: ``action`` (get/list/watch/create/update/patch/delete/deletecollection), ``resource``,
``subresource``, ``namespace``, ``name``; plus ``contentType`` of a request body and ``userAgent``.
Kept in memory too, for the fixture's ``audit()``.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from .clock import stamp_micro


class AuditLog:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._records: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._file = open(path, "a", encoding="utf-8") if path else None  # noqa: SIM115 - held open

    def record(self, entry: dict[str, Any]) -> None:
        entry = {"ts": stamp_micro(), **entry}
        line = json.dumps(entry, separators=(",", ":"))
        with self._lock:
            self._records.append(entry)
            if self._file is not None:
                self._file.write(line + "\n")
                self._file.flush()

    def records(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._records)

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
