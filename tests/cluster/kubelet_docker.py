"""The Docker kubelet; the code lives in the :mod:`tests.cluster.docker_kubelet` package.

Kept as the module name the README, ``__main__`` and phase 1 point at.
"""

from __future__ import annotations

from .docker_kubelet import (
    LABEL_INSTANCE,
    LABEL_POD_UID,
    PORTS_ANNOTATION,
    TIME_SCALE_ENV,
    DockerKubelet,
    DockerUnavailableError,
)

__all__ = [
    "LABEL_INSTANCE",
    "LABEL_POD_UID",
    "PORTS_ANNOTATION",
    "TIME_SCALE_ENV",
    "DockerKubelet",
    "DockerUnavailableError",
]
