"""The rollout wait fails fast on pods the cluster will not make or the kubelet cannot start, which
only events and controller conditions tell, and names what the cluster said.

Each failure is produced for real on the test cluster, with objects created through the API (as a
user's k8s snippets or cluster rules would make them) and the wait called as the deploy stage
calls it: a Secret volume whose Secret does not exist, a hostPath that is not there and a CSI
driver nobody installed (``FailedMount``, the kubelet retrying with back-off), a RuntimeClass whose
handler containerd lacks (``FailedCreatePodSandBox``), a RuntimeClass that does not exist and a
ResourceQuota that admits no pod (``FailedCreate``: the API server refuses the pod; a Deployment's
ReplicaSet says it in a condition, a StatefulSet only in events).

"Fast" is shown against a deadline of :data:`DEADLINE` seconds: the wait must end well before it,
with a diagnosis that is not the deadline's. The failures start together (one namespace each) and
are waited for in threads, so the module takes as long as its slowest case (about 30 s), not the
sum. A wait that does reach its deadline names the warnings it saw.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from kubernetes import client

from hyscale_tasks.cluster.blocked import SETUP_PERSISTS, UNKNOWN_PERSISTS
from hyscale_tasks.cluster.diagnosis import Diagnosis
from hyscale_tasks.cluster.wait import wait_for_rollout
from testing.cluster import Cluster
from testing.registry import Registry

APP = "failfast"
DEADLINE = 240.0
FAST = 120.0  # the slowest case ends about 30 s in: anything near the deadline is a silent wait
LABELS = {"hyscale.io/app-name": APP, "hyscale.io/service-name": "web"}
CASES = ("missing-secret-volume", "bad-host-path", "no-csi-driver", "no-runtime-handler",
         "missing-runtime-class", "quota", "quota-stateful")


@dataclass(frozen=True)
class Outcome:
    namespace: str
    found: Diagnosis | None
    took: float  # seconds the wait ran


def _pod_spec(image: str, **more: Any) -> dict[str, Any]:
    return {"containers": [{"name": "web", "image": image, **more.pop("container", {})}], **more}


def _deployment(image: str, **pod: Any) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": LABELS},
            "spec": {"replicas": 1, "selector": {"matchLabels": LABELS},
                     "template": {"metadata": {"labels": LABELS}, "spec": _pod_spec(image, **pod)}}}


def _stateful_set(image: str) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web", "labels": LABELS},
            "spec": {"replicas": 1, "serviceName": "web", "selector": {"matchLabels": LABELS},
                     "template": {"metadata": {"labels": LABELS}, "spec": _pod_spec(image)}}}


def _mounting(volume: dict[str, Any]) -> dict[str, Any]:
    """Pod spec fields of a container that mounts ``volume`` at /mnt/v."""
    return {"container": {"volumeMounts": [{"name": volume["name"], "mountPath": "/mnt/v"}]},
            "volumes": [volume]}


def _quota(namespace: str) -> client.V1ResourceQuota:
    return client.V1ResourceQuota(metadata=client.V1ObjectMeta(name="no-pods", namespace=namespace),
                                  spec=client.V1ResourceQuotaSpec(hard={"pods": "0"}))


@pytest.fixture(scope="module")
def no_handler(shared_cluster: Cluster) -> Iterator[str]:
    """A RuntimeClass whose handler the node's containerd does not have (cluster-wide: removed
    after the module)."""
    name = f"failfast-{secrets.token_hex(3)}"
    node = client.NodeV1Api(shared_cluster.api_client())
    node.create_runtime_class(client.V1RuntimeClass(metadata=client.V1ObjectMeta(name=name),
                                                    handler="no-such-handler"))
    try:
        yield name
    finally:
        node.delete_runtime_class(name)


def _setups(image: str, no_handler: str) -> dict[str, Callable[[Cluster, str], str]]:
    """Per case: make the failing workload in a namespace; the workload's kind."""

    def deploy(**pod: Any) -> Callable[[Cluster, str], str]:
        def make(cluster: Cluster, namespace: str) -> str:
            cluster.apps().create_namespaced_deployment(namespace, _deployment(image, **pod))  # type: ignore[arg-type]
            return "Deployment"
        return make

    def quota(kind: str) -> Callable[[Cluster, str], str]:
        def make(cluster: Cluster, namespace: str) -> str:
            cluster.core().create_namespaced_resource_quota(namespace, _quota(namespace))
            cluster.wait_for(lambda: cluster.core().read_namespaced_resource_quota(
                "no-pods", namespace).status.hard, what="the quota controller to count the namespace")
            if kind == "StatefulSet":
                cluster.apps().create_namespaced_stateful_set(namespace, _stateful_set(image))  # type: ignore[arg-type]
            else:
                cluster.apps().create_namespaced_deployment(namespace, _deployment(image))  # type: ignore[arg-type]
            return kind
        return make

    return {
        "missing-secret-volume": deploy(**_mounting({"name": "config",
                                                     "secret": {"secretName": "nobody-made-it"}})),
        "bad-host-path": deploy(**_mounting({"name": "host", "hostPath": {
            "path": "/no/such/hyscale-dir", "type": "Directory"}})),
        "no-csi-driver": deploy(**_mounting({"name": "inline", "csi": {
            "driver": "no-such-driver.hyscale.example.com"}})),
        "no-runtime-handler": deploy(runtimeClassName=no_handler),
        "missing-runtime-class": deploy(runtimeClassName="no-such-runtime-class"),
        "quota": quota("Deployment"),
        "quota-stateful": quota("StatefulSet"),
    }


@pytest.fixture(scope="module")
def outcomes(shared_cluster: Cluster, registry: Registry, no_handler: str) -> dict[str, Outcome]:
    """Every case made at once, in a namespace of its own, and waited for in a thread."""
    image = f"{registry.host}/hyscale-tests/testapp:1.0"
    results: dict[str, Outcome] = {}
    errors: dict[str, Exception] = {}
    threads = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HYS_ROLLOUT_TIMEOUT", f"{DEADLINE:.0f}")
        for case, make in _setups(image, no_handler).items():
            namespace = shared_cluster.namespace("ff")
            kind = make(shared_cluster, namespace)

            def wait(case: str = case, namespace: str = namespace, kind: str = kind) -> None:
                started = time.monotonic()
                try:
                    found = wait_for_rollout(shared_cluster.api_client(), namespace, APP, kind,
                                             "web", None, lambda line: None)
                except Exception as exc:  # reported by the assertion below
                    errors[case] = exc
                    return
                results[case] = Outcome(namespace, found, time.monotonic() - started)

            threads.append(threading.Thread(target=wait, daemon=True, name=case))
            threads[-1].start()
        for thread in threads:
            thread.join(DEADLINE + 60)
    assert not errors, f"waits that raised: {errors}"
    assert set(results) == set(CASES), f"waits that never ended: {set(CASES) - set(results)}"
    return results


def _failed_fast(outcome: Outcome) -> Diagnosis:
    found = outcome.found
    assert found is not None, "the wait saw a rollout succeed"
    assert "Timedout" not in found.reason, f"the wait sat out its deadline: {found}"
    assert outcome.took < FAST, f"the wait took {outcome.took:.0f}s: {found}"
    return found


def _warning(cluster: Cluster, namespace: str, reason: str) -> Any:
    """The pod's newest warning event ``reason`` in ``namespace``."""
    events = [e for e in cluster.core().list_namespaced_event(namespace).items
              if e.reason == reason and e.involved_object.kind == "Pod"]
    assert events, f"no {reason} event in {namespace}"
    return max(events, key=lambda e: e.last_timestamp)


def _pod_name(cluster: Cluster, namespace: str) -> str:
    return str(cluster.core().list_namespaced_pod(namespace).items[0].metadata.name)


def _pod_cannot_start(outcome: Outcome, cluster: Cluster, reason: str) -> tuple[Diagnosis, str]:
    """The diagnosis, which must be fast and name the pod as unable to start for the warning
    ``reason``; it and the pod's name."""
    found = _failed_fast(outcome)
    pod = _pod_name(cluster, outcome.namespace)
    assert found.reason.startswith(f"Pod {pod} cannot start: {reason} ("), found
    return found, pod


def test_a_secret_volume_whose_secret_does_not_exist(outcomes: dict[str, Outcome],
                                                      shared_cluster: Cluster) -> None:
    outcome = outcomes["missing-secret-volume"]
    found, pod = _pod_cannot_start(outcome, shared_cluster, "FailedMount")

    assert 'MountVolume.SetUp failed for volume "config" : secret "nobody-made-it" not found; ' \
           "the Secret nobody-made-it, which volume config needs, does not exist" in found.reason
    assert found.fix == f"Create the Secret nobody-made-it in namespace {outcome.namespace}, or " \
                        "remove volume config (a k8s snippet of the service spec)"
    assert found.pod == pod
    # Not given up on before the kubelet had retried for a while: a Secret the node has not synced
    # yet reads "not found" for a few seconds (tests/cluster/test_wait_retries.py).
    event = _warning(shared_cluster, outcome.namespace, "FailedMount")
    assert (event.last_timestamp - event.first_timestamp).total_seconds() >= SETUP_PERSISTS


def test_a_host_path_that_is_not_there(outcomes: dict[str, Outcome], shared_cluster: Cluster) -> None:
    found = _failed_fast(outcomes["bad-host-path"])

    assert ': MountVolume.SetUp failed for volume "host" : hostPath type check failed: ' \
           "/no/such/hyscale-dir is not a directory; the node has nothing fit for the hostPath " \
           "volume host (/no/such/hyscale-dir is not a directory)" in found.reason, found
    assert found.fix.startswith("Fix the hostPath of volume host (a k8s snippet of the service "
                                "spec)"), found.fix


def test_a_warning_the_wait_does_not_know_that_keeps_coming_back(outcomes: dict[str, Outcome],
                                                                  shared_cluster: Cluster) -> None:
    """A CSI driver nobody installed: no rule knows it, so it is final once it has lasted
    (UNKNOWN_PERSISTS), named as the kubelet said it."""
    outcome = outcomes["no-csi-driver"]
    found, pod = _pod_cannot_start(outcome, shared_cluster, "FailedMount")

    assert "driver name no-such-driver.hyscale.example.com not found in the list of registered CSI " \
           "drivers" in found.reason, found
    assert found.fix == "Fix what the event names in the service spec or its k8s snippets, or ask " \
                        f"your cluster administrator (see 'kubectl -n {outcome.namespace} describe " \
                        f"pod {pod}')"
    assert outcome.took >= UNKNOWN_PERSISTS - 5, "an unknown warning was given up on at once"


def test_a_sandbox_the_runtime_cannot_make(outcomes: dict[str, Outcome], shared_cluster: Cluster,
                                           no_handler: str) -> None:
    outcome = outcomes["no-runtime-handler"]
    found, _ = _pod_cannot_start(outcome, shared_cluster, "FailedCreatePodSandBox")

    assert 'no runtime for "no-such-handler" is configured; the node\'s container runtime cannot run ' \
           f"the RuntimeClass {no_handler} (runtimeClassName, a k8s snippet of the service spec)" \
           in found.reason, found
    assert found.fix.startswith("Remove or correct runtimeClassName in the k8s snippets"), found.fix
    assert _warning(shared_cluster, outcome.namespace, "FailedCreatePodSandBox").count >= 2


def test_a_runtime_class_that_does_not_exist(outcomes: dict[str, Outcome]) -> None:
    found = _failed_fast(outcomes["missing-runtime-class"])

    assert found.reason == "The cluster refused to create the pods of web: pod rejected: " \
                           'RuntimeClass "no-such-runtime-class" not found', found
    assert found.fix.startswith("Remove or correct runtimeClassName in the k8s snippets of the "
                                "service spec, or ask your cluster administrator"), found.fix


@pytest.mark.parametrize("case", ["quota", "quota-stateful"])
def test_a_quota_that_admits_no_pod_fails_at_once(case: str, outcomes: dict[str, Outcome]) -> None:
    """Refused by the API server: no retry changes that, so the wait ends as soon as the
    controller reports it (a ReplicaSet's condition, a StatefulSet's events)."""
    outcome = outcomes[case]
    found = _failed_fast(outcome)

    assert found.reason == "The cluster refused to create the pods of web: exceeded quota: "\
                           "no-pods, requested: pods=1, used: pods=0, limited: pods=0", found
    assert found.fix == "Ask your cluster administrator to raise the ResourceQuota no-pods of " \
                        f"namespace {outcome.namespace}, or lower replicas"
    assert outcome.took < SETUP_PERSISTS, f"{outcome.took:.0f}s for a refusal"


def test_a_wait_that_reaches_its_deadline_names_the_warnings_it_saw(
        cluster: Cluster, registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pull secret that does not exist may yet be made (the kubelet retries the pull, and the
    wait with it: tests/cluster/test_wait_retries.py), so this runs to the deadline; what the
    kubelet warned about is in the message, and the diagnosis says the login was never tried."""
    namespace = cluster.namespace("ff")
    image = f"{registry.host}/hyscale-tests/testapp:1.0"
    cluster.apps().create_namespaced_deployment(namespace, _deployment(  # type: ignore[arg-type]
        image, imagePullSecrets=[{"name": "nobody-made-it"}], container={"imagePullPolicy": "Always"}))
    cluster.wait_for(lambda: [e for e in cluster.core().list_namespaced_event(namespace).items
                              if (e.message or "").startswith("Failed to pull image")],
                     timeout=90, what="a pull without the secret to be refused")
    monkeypatch.setenv("HYS_ROLLOUT_TIMEOUT", "2")

    found = wait_for_rollout(cluster.api_client(), namespace, APP, "Deployment", "web", None,
                             lambda line: None)

    assert found is not None and found.reason.startswith(
        "Timedout while waiting for deployment after 2s: Incorrect registry credentials: "
        f"{registry.host} refused to serve {image} to a node that could not read the image pull "
        f"secret nobody-made-it (is it in namespace {namespace}?)"), found
    pod = _pod_name(cluster, namespace)
    assert f"; last warnings: {pod}: " in found.reason, found
    assert f"{pod}: FailedToRetrieveImagePullSecret" in found.reason, found
    assert "Unable to retrieve some image pull secrets (nobody-made-it)" in found.reason, found
    assert f'{pod}: Failed (' in found.reason or f"{pod}: Failed: " in found.reason, found
    assert "Failed to pull image" in found.reason, found
    assert "raise HYS_ROLLOUT_TIMEOUT (now 2 s)" in found.fix
