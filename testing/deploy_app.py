"""What the deploy tests share besides their workspace (testing/workspace.py): apps named for
this test session and made to deploy to a cluster with the test registry's login
(:func:`make_app`, the ``new_app`` fixture's), a container that runs out of memory
(:func:`out_of_memory`; testing/testimage.py has the test image's other failures), a deploy that
a fault proxy holds (:class:`StalledDeploy`), and reads of what a deploy left in the cluster.

The pods pull their image from the authenticated registry with the app's image-pull Secret, which
the tool makes from the docker login that :func:`make_app` writes.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hyscale_tasks.cluster.client import READ_RETRIES
from hyscale_tasks.cluster.endpoint import REQUEST_TIMEOUT
from testing.cluster import Cluster
from testing.proxy import FaultProxy
from testing.registry import Registry
from testing.workspace import DoitResult, Workspace

RUN_ID = "d" + secrets.token_hex(3)
_numbers = itertools.count(1)


def out_of_memory(amount: str = "200m") -> dict[str, str]:
    """Spec fields (a ``startCommand``) that make the test image's container hold ``amount`` of
    memory and die when the kernel kills it: give the service a smaller ``memory``. (On cgroup
    v1 the kernel kills only the process that holds the memory; as the container's main process
    its death ends the container, which the runtime then reports as OOMKilled.)"""
    return {"startCommand": f"sh,-c,echo eating {amount} of memory; head -c {amount} /dev/zero | tail"}


def app_name(word: str) -> str:
    """A unique app name (also the namespace and, for built services, the image repository)."""
    assert len(word) <= 16, word
    return f"{word}-{RUN_ID}-{next(_numbers)}"


def make_app(root: Path, word: str, kubeconfig: Path | None, *, registry: Registry) -> Workspace:
    """An empty app under ``root`` deploying to ``kubeconfig``, whose DOCKER_CONFIG holds the
    login of ``registry``, the prebuilt test image's and built services' home. A deploy's doit
    run may take 150 s (a build, a push and a rollout)."""
    return Workspace.create(root, app_name(word), kubeconfig=kubeconfig, timeout=150.0,
                            logins={registry.host: (registry.user, registry.password)},
                            registry=registry, registry_host=registry.host)


# -- a deploy against an API that stops answering, run in the background -------------------------
STALL_TEST = "test_an_api_that_stops_answering_fails_within_the_request_timeout"
STALL_HOLD = REQUEST_TIMEOUT + 4  # the proxy holds each try this long, then hangs up


@dataclass
class StalledDeploy:
    """``doit deploy:web`` whose Deployment apply the proxy holds unanswered for
    :data:`STALL_HOLD` seconds, each try; :meth:`result` waits for it and says how long it ran after the
    proxy got that request (not from its start: how long doit takes to load and get there
    depends on the machine's load, the request timeout does not)."""

    app: Workspace
    cluster: Cluster
    proxy: FaultProxy
    started: float
    done: threading.Event = field(default_factory=threading.Event)
    outcome: list[Any] = field(default_factory=list)  # [DoitResult, time.monotonic() at its end]

    def result(self) -> tuple[DoitResult, float]:
        assert self.done.wait((READ_RETRIES + 1) * STALL_HOLD + 60), "the stalled deploy never ended"
        result, ended = self.outcome
        assert isinstance(result, DoitResult), result
        stalled = [f.at for f in self.proxy.fired if f.kind == "drop"]
        assert stalled, f"the proxy never got the request to hold:\n{result.stdout}\n{result.stderr}"
        return result, ended - stalled[0]


def assert_converges(app: Workspace, api: Any, service: str = "web", rerun: bool = True) -> None:
    """The next run deploys (``rerun``), the one after is a no-op, and the Deployment is ready and
    carries the digest of the deployed manifests. ``api``: a kubernetes ApiClient."""
    from kubernetes import client

    if rerun:
        assert f"deploy:{service}" in app.deploy(service).executed
    assert app.deploy(service).executed == []
    live = client.AppsV1Api(api).read_namespaced_deployment(service, app.namespace)
    ready = live.status.ready_replicas if live.status else None
    annotations = (live.metadata.annotations if live.metadata else None) or {}
    assert ready == 1
    assert annotations.get("hyscale.io/service-manifests-digest") == \
        app.deploy_record(service)["serviceDigest"]


def current_pods(api: Any, namespace: str, service: str) -> list[str]:
    """The names of the service's pods that are not being deleted, sorted. ``api``: a
    kubernetes ApiClient."""
    from kubernetes import client

    pods = client.CoreV1Api(api).list_namespaced_pod(
        namespace, label_selector=f"hyscale.io/service-name={service}").items
    return sorted(str(p.metadata.name) for p in pods if p.metadata and not p.metadata.deletion_timestamp)


def exec_in(api: Any, namespace: str, pod: str, container: str, script: str) -> str:
    """Run ``sh -c script`` in the container, as ``kubectl exec`` does (through the API server
    and the kubelet); its output, stdout and stderr together."""
    from kubernetes import client
    from kubernetes.stream import stream

    output: str = stream(client.CoreV1Api(api).connect_get_namespaced_pod_exec, pod, namespace,
                         container=container, command=["sh", "-c", script],
                         stderr=True, stdin=False, stdout=True, tty=False)
    return output
