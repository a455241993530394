"""Watch streams: ``?watch=true`` on a collection, as newline-delimited JSON events.

Without a resourceVersion (or with "0") the stream starts with a synthetic ADDED for every existing
object, as the apiserver's watch cache does; with a resourceVersion it replays the changes after it
(410 Gone as an ERROR event when that is older than the history). With a selector, an object that
starts matching arrives as ADDED and one that stops matching as DELETED, as on a real server. The
stream ends after ``timeoutSeconds``, when the server stops, or when the client goes away.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from .api import Api
from .errors import gone
from .resources import ResourceType
from .selectors import parse_field_selector, parse_label_selector
from .store import Change, TooOldError

Obj = dict[str, Any]


def watch(
    api: Api,
    rt: ResourceType,
    namespace: str | None,
    query: dict[str, str],
    send: Callable[[bytes], None],
    stopping: Callable[[], bool],
) -> None:
    """Blocks, calling ``send`` with one encoded event at a time, until the watch ends."""
    labels = parse_label_selector(query.get("labelSelector"))
    fields = parse_field_selector(query.get("fieldSelector"), rt.group, rt.plural)
    timeout = float(query.get("timeoutSeconds") or 1800)
    deadline = time.monotonic() + timeout
    ns = namespace if rt.namespaced else None

    def matches(obj: Obj | None) -> bool:
        return obj is not None and labels.matches(obj["metadata"].get("labels")) and fields.matches(obj)

    def relevant(change: Change) -> bool:
        return change.key == rt.key and (ns is None or change.namespace == ns)

    def encode(type_: str, obj: Obj) -> bytes:
        return (
            json.dumps({"type": type_, "object": api.output(rt, obj)}, separators=(",", ":")).encode() + b"\n"
        )

    rv_text = query.get("resourceVersion") or ""
    initial: list[bytes] = []
    try:
        with api.store.lock:
            if rv_text in ("", "0"):
                sub, replay = api.store.subscribe(relevant)
                initial = [encode("ADDED", o) for o in api.store.select(rt.key, ns) if matches(o)]
            else:
                sub, replay = api.store.subscribe(relevant, since=int(rv_text))
    except TooOldError as exc:
        send(json.dumps({"type": "ERROR", "object": gone(str(exc)).status()}).encode() + b"\n")
        return
    except ValueError:
        send(
            json.dumps(
                {"type": "ERROR", "object": gone(f"invalid resource version {rv_text!r}").status()}
            ).encode()
            + b"\n"
        )
        return
    try:
        for line in initial:
            send(line)
        for change in replay:
            event = _translate(change, matches)
            if event:
                send(encode(*event))
        bookmarks = query.get("allowWatchBookmarks") == "true"
        last_bookmark = time.monotonic()
        while not stopping():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            live = sub.get(timeout=min(remaining, 0.25))
            if live is not None:
                event = _translate(live, matches)
                if event:
                    send(encode(*event))
            elif bookmarks and time.monotonic() - last_bookmark > 30:
                last_bookmark = time.monotonic()
                rv = str(api.store.resource_version)
                send(
                    json.dumps(
                        {
                            "type": "BOOKMARK",
                            "object": {
                                "kind": rt.kind,
                                "apiVersion": rt.api_version,
                                "metadata": {"resourceVersion": rv},
                            },
                        }
                    ).encode()
                    + b"\n"
                )
    finally:
        sub.close()


def _translate(change: Change, matches: Callable[[Obj | None], bool]) -> tuple[str, Obj] | None:
    """Selector-aware event type: entering the selection is ADDED, leaving it is DELETED."""
    now_in = change.type != "DELETED" and matches(change.obj)
    was_in = change.type != "ADDED" and matches(change.old)
    if change.type == "DELETED":
        return ("DELETED", change.obj) if was_in else None
    if now_in and was_in:
        return ("MODIFIED", change.obj)
    if now_in:
        return ("ADDED", change.obj)
    if was_in:
        return ("DELETED", change.obj)
    return None
