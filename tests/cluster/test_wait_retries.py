"""The rollout wait does not give up on a failure the kubelet retries by itself.

A Secret volume whose Secret the node cannot see yet fails to mount ("secret ... not found") for
a moment, and the kubelet retries with back-off: the wait gives up only once that has lasted
(SETUP_PERSISTS). Here the Secret is created after the first failed mount, and the wait must see
the pod through.

On a busy node the node authorizer learns of a new pod's Secrets a moment after the pod is bound;
meanwhile the kubelet pulls the image without the pod's pull secret (event
``FailedToRetrieveImagePullSecret``) and the registry refuses it. The next attempt, after the
back-off, has the secret; on a loaded node two attempts in a row can go without it. Here the
secret really is missing for the first two attempts and created after them: the wait (called as
the deploy stage calls it, against the real cluster) must see the third attempt through, where a
pull failure with no such event, or one the registry did not refuse, is final at once.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from kubernetes import client

from hyscale_tasks.cluster.diagnosis import Diagnosis
from hyscale_tasks.cluster.wait import wait_for_rollout
from testing.cluster import Cluster
from testing.registry import Registry
from testing.testimage import pull_secret

APP = "retries"


@pytest.fixture(autouse=True)
def _deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYS_ROLLOUT_TIMEOUT", "180")  # well past the kubelet's 10 s + 20 s back-offs


def _deployment(namespace: str, image: str, **pod: Any) -> dict[str, Any]:
    labels = {"hyscale.io/app-name": APP, "hyscale.io/service-name": "web"}
    container = {"name": "web", "image": image, "imagePullPolicy": "Always",
                 **pod.pop("container", {})}
    return {"metadata": {"name": "web", "namespace": namespace, "labels": labels},
            "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"imagePullSecrets": [{"name": "regcred"}],
                                           "containers": [container], **pod}}}}


def _wait(cluster: Cluster, namespace: str) -> Diagnosis | None:
    return wait_for_rollout(cluster.api_client(), namespace, APP, "Deployment", "web", None,
                            lambda line: None)


def test_a_pull_made_before_the_pull_secret_could_be_read_is_waited_through(
        cluster: Cluster, registry: Registry) -> None:
    namespace = cluster.namespace("retry")
    image = f"{registry.host}/hyscale-tests/testapp:1.0"
    cluster.apps().create_namespaced_deployment(namespace, _deployment(namespace, image))  # type: ignore[arg-type]
    outcome: list[Diagnosis | None] = []
    waiting = threading.Thread(target=lambda: outcome.append(_wait(cluster, namespace)), daemon=True)
    waiting.start()

    def two_pulls_refused() -> bool:
        events = cluster.core().list_namespaced_event(namespace).items
        refused = sum(e.count or 1 for e in events
                      if (e.message or "").startswith("Failed to pull image"))
        return any(e.reason == "FailedToRetrieveImagePullSecret" for e in events) and refused >= 2

    cluster.wait_for(two_pulls_refused, timeout=90,
                     what="two pulls, without the secret, to be refused")
    assert waiting.is_alive(), f"the wait gave up: {outcome}"
    cluster.core().create_namespaced_secret(namespace, pull_secret(registry))
    waiting.join(120)

    assert outcome == [None], f"the wait gave up: {outcome}"


def test_a_pull_refused_with_the_secret_in_place_is_final_at_once(cluster: Cluster,
                                                                  registry: Registry) -> None:
    namespace = cluster.namespace("retry")
    cluster.core().create_namespaced_secret(namespace, pull_secret(registry))
    missing = f"{registry.host}/hyscale-tests/testapp:no-such-tag"
    cluster.apps().create_namespaced_deployment(namespace, _deployment(namespace, missing))  # type: ignore[arg-type]

    found = _wait(cluster, namespace)

    assert found is not None and "Timedout" not in found.reason, found
    pulls = [e for e in cluster.core().list_namespaced_event(namespace).items
             if (e.message or "").startswith("Failed to pull image")]
    assert sum(e.count or 1 for e in pulls) == 1, "given up on the first failed attempt"


def test_a_secret_volume_whose_secret_comes_a_moment_late_is_waited_through(
        cluster: Cluster, registry: Registry) -> None:
    namespace = cluster.namespace("retry")
    cluster.core().create_namespaced_secret(namespace, pull_secret(registry))
    image = f"{registry.host}/hyscale-tests/testapp:1.0"
    cluster.apps().create_namespaced_deployment(namespace, _deployment(  # type: ignore[arg-type]
        namespace, image, volumes=[{"name": "config", "secret": {"secretName": "late"}}],
        container={"volumeMounts": [{"name": "config", "mountPath": "/etc/late"}]}))
    outcome: list[Diagnosis | None] = []
    waiting = threading.Thread(target=lambda: outcome.append(_wait(cluster, namespace)), daemon=True)
    waiting.start()

    cluster.wait_for(lambda: [e for e in cluster.core().list_namespaced_event(namespace).items
                              if e.reason == "FailedMount" and 'secret "late" not found' in e.message],
                     timeout=90, what="a mount of the missing Secret to fail")
    assert waiting.is_alive(), f"the wait gave up at once: {outcome}"
    cluster.core().create_namespaced_secret(namespace, client.V1Secret(
        metadata=client.V1ObjectMeta(name="late"), string_data={"token": "t"}))
    waiting.join(120)

    assert outcome == [None], f"the wait gave up: {outcome}"
