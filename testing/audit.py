"""The API server's audit log, read the way the tests count requests.

The test cluster (scripts/cluster/up) logs, at level Metadata and once per request (stage
ResponseComplete; a long-running one, such as a watch, also when its response starts), every
request of two users: ``hyscale-tool``, whose kubeconfig the tool under test gets, and
``kubernetes-admin``, the tests' own. :class:`AuditLog` turns the tool's completed requests into
plain records:

    {"verb": "PATCH", "action": "patch", "path": "/api/v1/namespaces/ns/configmaps/x",
     "query": "", "resource": "configmaps", "subresource": "", "name": "x", "namespace": "ns",
     "code": 200}

``verb`` is the HTTP method (what "a write" means on the wire), ``action`` the Kubernetes verb.
An audit line is written when the response is complete, which can be a moment after the client
has it: :meth:`AuditLog.records` first sends a marked request of its own and waits for its line,
so every request made before the call is in the file.

:func:`writes`, :func:`reads`, :func:`applies` and :func:`actions` count those records, which is
how the tests pin "a no-op deploy writes nothing and lists each kind of the app's objects once" on
the wire (:func:`sync_listings`).
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.parse
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

TOOL_USER = "hyscale-tool"
HTTP_METHOD = {"create": "POST", "update": "PUT", "patch": "PATCH", "delete": "DELETE",
               "deletecollection": "DELETE", "get": "GET", "list": "GET", "watch": "GET"}
MARK_LABEL = "hyscale-tests-audit-mark"
WRITE_VERBS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def record_of(event: dict[str, Any]) -> dict[str, Any]:
    ref = event.get("objectRef") or {}
    uri = urllib.parse.urlsplit(event.get("requestURI", ""))
    action = str(event.get("verb", ""))
    return {
        "verb": HTTP_METHOD.get(action, action.upper()),
        "action": action,
        "path": uri.path,
        "query": uri.query,
        "resource": ref.get("resource", ""),
        "subresource": ref.get("subresource", ""),
        "name": ref.get("name", ""),
        "namespace": ref.get("namespace", ""),
        "code": int((event.get("responseStatus") or {}).get("code") or 0),
        "user": (event.get("user") or {}).get("username", ""),
    }


class AuditLog:
    """The audit log from the byte offset it had when this object was made."""

    def __init__(self, path: Path, mark_request: Callable[[str], None]) -> None:
        self.path = path
        self._mark_request = mark_request
        self._start = path.stat().st_size if path.exists() else 0

    def _events_since_start(self) -> Iterable[dict[str, Any]]:
        with self.path.open("rb") as log:
            log.seek(self._start)
            data = log.read()
        for line in data.splitlines():
            if line.strip():
                yield json.loads(line)

    def _flush(self) -> None:
        mark = secrets.token_hex(8)
        self._mark_request(mark)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with self.path.open("rb") as log:
                log.seek(self._start)
                if mark.encode() in log.read():
                    return
            time.sleep(0.02)
        raise AssertionError(f"the audit log {self.path} did not record a request within 10 s")

    def records(self, namespaces: Iterable[str], user: str = TOOL_USER) -> list[dict[str, Any]]:
        """The requests of ``user`` about ``namespaces`` (objects in them, or the namespace
        objects themselves), oldest first."""
        wanted = set(namespaces)
        self._flush()
        found = []
        for event in self._events_since_start():
            # A long-running request (a watch, a followed log) is logged when its response
            # starts and again when it completes: count it once, at its completion.
            if event.get("stage") != "ResponseComplete" or \
                    (event.get("user") or {}).get("username") != user:
                continue
            record = record_of(event)
            if record["namespace"] in wanted or \
                    (record["resource"] == "namespaces" and record["name"] in wanted):
                found.append(record)
        return found


# -- the records, counted -----------------------------------------------------------------------
def writes(records: Iterable[dict[str, Any]]) -> list[str]:
    """``VERB path`` of every request that could change the cluster (a dry run cannot)."""
    return [f"{r['verb']} {r['path']}" for r in records
            if r["verb"] in WRITE_VERBS and not is_dry_run(r)]


def is_dry_run(record: dict[str, Any]) -> bool:
    return "dryRun=All" in str(record.get("query") or "")


def applies(records: Iterable[dict[str, Any]]) -> list[tuple[str, int]]:
    """(resource, HTTP code) of each server-side apply that could write, in order: 201 created
    it, 200 merged it (or found nothing to change)."""
    return [(str(r["resource"]), int(r["code"])) for r in records
            if r["verb"] == "PATCH" and not r.get("subresource") and not is_dry_run(r)]


def reads(records: Iterable[dict[str, Any]]) -> list[str]:
    return [f"{r['verb']} {r['path']}" for r in records if r["verb"] not in WRITE_VERBS]


def sync_listings(namespace: str, *collections: str, pull_secret: str = "") -> list[str]:
    """The reads an in-sync check makes: one listing per collection (``configmaps``,
    ``apps/v1/deployments``...) of the objects the app applied, and one read of the image pull
    secret by name (it carries no app label: apps share it)."""
    return sorted([f"GET /api/v1/namespaces/{namespace}/{c}" if "/" not in c else
                   f"GET /apis/{c.rsplit('/', 1)[0]}/namespaces/{namespace}/{c.rsplit('/', 1)[1]}"
                   for c in collections] +
                  ([f"GET /api/v1/namespaces/{namespace}/secrets/{pull_secret}"] if pull_secret else []))


def actions(records: Iterable[dict[str, Any]], resource: str, name: str | None = None) -> list[str]:
    """The actions (create, patch, delete, get ...) on ``resource`` (plural), in order; with
    ``name``, those on that object (a create, sent to the collection, counts whatever it names)."""
    return [str(r.get("action")) for r in records
            if r.get("resource") == resource and not r.get("subresource")
            and (name is None or r.get("name") == name or r.get("action") == "create")]
