"""The API discovery the dynamic client needs, cached per cluster under ``$HYSCALE_HOME/cache``.

The official dynamic client keeps what the API server offers (its groups and resources) in a
file, by default one in the machine's shared temporary folder that it rewrites in place. The
deploy processes of one run (``doit -n 4 -P process``) start together, and one of them could read
another's half-written file: the client then logged ``load cache error`` to the user's terminal
and discovered everything again. Here the file is the user's own (not another user's, whom a
shared /tmp file would let answer for the cluster) and written whole: a temporary file moved into
place.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import suppress
from pathlib import Path
from typing import Any

from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.discovery import CacheEncoder, LazyDiscoverer

from hyscale_tasks.files import write_if_changed
from hyscale_tasks.home import hyscale_home


class _WholeFileDiscoverer(LazyDiscoverer):
    def __init__(self, client: Any, cache_file: str) -> None:
        self._whole_file = Path(cache_file)  # (set first: the client's __init__ writes the cache)
        super().__init__(client, cache_file)

    def _write_cache(self) -> None:
        with suppress(OSError, TypeError, ValueError):  # a cache not written only costs time
            write_if_changed(self._whole_file, json.dumps(self._cache, cls=CacheEncoder))


def dynamic_client(api: Any) -> DynamicClient:
    """A dynamic client over ``api`` (an official ``ApiClient``) with the user's own cache."""
    server = str(api.configuration.host).encode()
    cache = hyscale_home() / "cache" / "discovery" / f"{hashlib.sha256(server).hexdigest()[:16]}.json"
    cache.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return DynamicClient(api, cache_file=str(cache), discoverer=_WholeFileDiscoverer)
