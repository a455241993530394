"""The kubeconfig the stand-in writes: what the tool, kubectl and the official client read."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

CONTEXT = "hyscale-standin"


def kubeconfig_text(server: str, token: str, namespace: str = "default") -> str:
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": CONTEXT, "cluster": {"server": server}}],
        "users": [{"name": CONTEXT, "user": {"token": token}}],
        "contexts": [
            {"name": CONTEXT, "context": {"cluster": CONTEXT, "user": CONTEXT, "namespace": namespace}}
        ],
        "current-context": CONTEXT,
    }
    return yaml.safe_dump(doc, sort_keys=False)


def write_kubeconfig(path: Path, server: str, token: str) -> None:
    """Atomically (rename), owner-only: whoever waits for the file never reads half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(kubeconfig_text(server, token))
    os.replace(tmp, path)
