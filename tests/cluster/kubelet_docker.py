"""The Docker kubelet: pods as containers on the local Docker engine (phase 2, not written yet).

What it must do (issue #4, item 3), all through :class:`tests.cluster.kubelet.Kubelet`:
pull images with the pod's ``imagePullSecrets`` honouring ``imagePullPolicy`` (missing or wrong secret:
ErrImagePull, then ImagePullBackOff); command/args; env and envFrom from ConfigMaps and Secrets (a
missing key: CreateContainerConfigError); configMap and secret volumes as files, emptyDir and PVC
volumes as Docker volumes; memory limits (OOMKilled); container ports on loopback; readiness and
liveness probes (httpGet, tcpSocket); restarts with back-off, CrashLoopBackOff with
``lastState.terminated``; status written back with :func:`tests.cluster.kubelet.build_pod_status`;
logs from the container; containers removed when their pod goes and on ``shutdown``.

Until then, constructing it fails loudly: a stand-in that silently ran pods nowhere would let a
deploy test pass without ever running a container.
"""

from __future__ import annotations

from .kubelet import Kubelet


class DockerKubeletMissingError(RuntimeError):
    pass


MESSAGE = (
    "the Docker kubelet (tests/cluster/kubelet_docker.py) is not implemented yet (phase 2 of issue #4); "
    "run the stand-in with --no-docker (scripted pod states) until it is"
)


def DockerKubelet(*_args: object, **_kwargs: object) -> Kubelet:  # noqa: N802 - the future class's name
    raise DockerKubeletMissingError(MESSAGE)
