"""What an image is built from, as one digest, and where the image keeps it (a label).

The build stage already decides "up to date" from the content of its inputs: the generated
Dockerfile folder or the user's build context (both hashed by :func:`context_digest`, which
covers the Dockerfile), the build args, the target and the stack image. :func:`inputs_digest`
folds them into one ``sha256:...``; every image the tool builds carries it as the label
:data:`INPUTS_LABEL`, so the registry can later say what its image for a tag was built from
(image/remote.py) and a fresh runner can skip a build whose result is already pushed.

Only content goes in: no absolute path, no mtime, no HYSCALE_HOME, no tool version (an upgrade
must not rebuild every image). :data:`FORMAT` changes when what goes in changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from typing import Any

from hyscale_tasks.stage_records import BuildDecision

INPUTS_LABEL = "io.hyscale.inputs"
FORMAT = "hyscale-inputs/1"
# platform.machine() -> the architecture names of image indexes (the OCI image spec's GOARCH).
_ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64",
           "armv7l": "arm", "armv6l": "arm", "i386": "386", "i686": "386", "ppc64le": "ppc64le",
           "s390x": "s390x", "riscv64": "riscv64"}


def inputs_digest(decision: BuildDecision, context: str | None, buildargs: dict[str, str] | None,
                  target: str | None, stack_image: str | None) -> str:
    """``sha256:<hex>`` of the build's inputs. ``context`` is the context digest (Dockerfile
    included); ``stack_image`` the reference a buildSpec names (``FROM`` for a generated
    Dockerfile, the whole image when there is nothing to add)."""
    document: dict[str, Any] = {"format": FORMAT, "decision": decision, "context": context,
                                "buildArgs": dict(sorted((buildargs or {}).items())),
                                "target": target, "stackImage": stack_image}
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def engine_platform() -> tuple[str, str, str | None]:
    """(os, architecture, variant) the Docker engine builds for: ``DOCKER_DEFAULT_PLATFORM``
    when set (as for ``docker build``), else this machine's. Read without asking the engine:
    the registry probe must not cost a Docker call."""
    chosen = os.environ.get("DOCKER_DEFAULT_PLATFORM", "").strip().lower()
    if chosen:
        parts = chosen.split("/")
        return parts[0], parts[1] if len(parts) > 1 else "amd64", parts[2] if len(parts) > 2 else None
    machine = platform.machine().lower()
    variant = "v8" if _ARCHES.get(machine) == "arm64" else None
    return "linux", _ARCHES.get(machine, machine), variant
