"""The Docker kubelet (issue #4 item 3): each pod's containers run on the local Docker engine.

Modules: :mod:`.kubelet` (the Kubelet interface, logs, shutdown), :mod:`.worker` (one thread per
pod: pull, start, watch, restart), :mod:`.pod_api` (events, status, the ports annotation),
:mod:`.images` (pull secrets and policies), :mod:`.env` (env, envFrom, command), :mod:`.volumes`,
:mod:`.probes`, :mod:`.containers` (docker create arguments), :mod:`.engine` (clients, labels, the
pause image, events).
"""

from __future__ import annotations

from .containers import PORTS_ANNOTATION
from .engine import LABEL_INSTANCE, LABEL_POD_UID, DockerUnavailableError
from .kubelet import TIME_SCALE_ENV, DockerKubelet

__all__ = [
    "LABEL_INSTANCE",
    "LABEL_POD_UID",
    "PORTS_ANNOTATION",
    "TIME_SCALE_ENV",
    "DockerKubelet",
    "DockerUnavailableError",
]
