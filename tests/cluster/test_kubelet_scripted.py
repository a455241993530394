"""The scripted kubelet (``--no-docker``): scripted container states, as a real node reports them,
and scheduling failures (stand-in only: these tests skip on a real cluster)."""

from __future__ import annotations

import json

from kubernetes import client

from tests.cluster.builders import deployment
from tests.cluster.fixtures import Cluster
from tests.cluster.kubelet_scripted import (
    config_error,
    container_creating,
    crash_loop,
    image_pull_backoff,
    oom_killed,
    running,
)
from tests.cluster.tables import pod_reason


def _one_pod(cluster: Cluster, ns: str) -> client.V1Pod:
    core = client.CoreV1Api(cluster.api_client())
    cluster.settle()
    pods = core.list_namespaced_pod(ns).items
    assert len(pods) == 1
    return pods[0]


def _events(cluster: Cluster, ns: str, name: str) -> list[tuple[str, str, str]]:
    core = client.CoreV1Api(cluster.api_client())
    return [
        (e.type, e.reason, e.message)
        for e in core.list_namespaced_event(ns, field_selector=f"involvedObject.name={name}").items
    ]


def test_crash_loop_back_off_with_last_state(cluster: Cluster) -> None:
    ns = cluster.namespace()
    cluster.kubelet.script(crash_loop(exit_code=3, restarts=4, logs="boom\n"), selector={"app": "web"})
    client.AppsV1Api(cluster.api_client()).create_namespaced_deployment(ns, deployment("web"))
    pod = _one_pod(cluster, ns)
    (cs,) = pod.status.container_statuses
    assert pod.status.phase == "Running"
    assert cs.state.waiting.reason == "CrashLoopBackOff"
    assert cs.last_state.terminated.exit_code == 3
    assert cs.last_state.terminated.reason == "Error"
    assert cs.restart_count == 4 and cs.ready is False
    assert pod_reason(client.ApiClient().sanitize_for_serialization(pod)) == "CrashLoopBackOff"
    assert any(r == "BackOff" and t == "Warning" for t, r, _ in _events(cluster, ns, pod.metadata.name))


def test_image_pull_back_off(cluster: Cluster) -> None:
    ns = cluster.namespace()
    message = (
        "rpc error: code = Unknown desc = Error response from daemon: manifest for "
        "registry.local/app:missing not found: manifest unknown"
    )
    cluster.kubelet.script(image_pull_backoff(message), image="*:missing")
    client.AppsV1Api(cluster.api_client()).create_namespaced_deployment(
        ns, deployment("web", image="registry.local/app:missing")
    )
    pod = _one_pod(cluster, ns)
    (cs,) = pod.status.container_statuses
    assert pod.status.phase == "Pending"
    assert cs.state.waiting.reason == "ImagePullBackOff"
    assert cs.image_id == ""
    events = _events(cluster, ns, pod.metadata.name)
    assert ("Warning", "Failed", f'Failed to pull image "registry.local/app:missing": {message}') in events
    assert ("Warning", "Failed", "Error: ImagePullBackOff") in events


def test_oom_killed_and_config_error(cluster: Cluster) -> None:
    ns = cluster.namespace()
    kubelet = cluster.kubelet
    kubelet.script(oom_killed(), pod="oom-*")
    kubelet.script(config_error("couldn't find key DB_URL in ConfigMap t/web-env"), pod="cfg-*")
    apps = client.AppsV1Api(cluster.api_client())
    apps.create_namespaced_deployment(ns, deployment("oom"))
    apps.create_namespaced_deployment(ns, deployment("cfg"))
    cluster.settle()
    core = client.CoreV1Api(cluster.api_client())
    pods = {p.metadata.labels["app"]: p for p in core.list_namespaced_pod(ns).items}
    assert pods["oom"].status.container_statuses[0].last_state.terminated.reason == "OOMKilled"
    assert pods["oom"].status.container_statuses[0].last_state.terminated.exit_code == 137
    waiting = pods["cfg"].status.container_statuses[0].state.waiting
    assert waiting.reason == "CreateContainerConfigError"
    assert "DB_URL" in waiting.message


def test_set_state_moves_an_existing_pod(cluster: Cluster) -> None:
    ns = cluster.namespace()
    kubelet = cluster.kubelet
    kubelet.script(container_creating(), namespace=ns)
    client.AppsV1Api(cluster.api_client()).create_namespaced_deployment(ns, deployment("web"))
    pod = _one_pod(cluster, ns)
    assert pod.status.container_statuses[0].state.waiting.reason == "ContainerCreating"
    kubelet.set_state(ns, pod.metadata.name, running(logs="started\n"))
    pod = _one_pod(cluster, ns)
    assert pod.status.container_statuses[0].state.running is not None
    assert {c.type: c.status for c in pod.status.conditions}["Ready"] == "True"


def test_scripting_through_the_api(cluster: Cluster) -> None:
    """For a stand-in in another process: a ConfigMap of rules, or a pod status written through the API."""
    ns = cluster.namespace()
    cluster.kubelet  # noqa: B018 - skips on a real cluster
    core = client.CoreV1Api(cluster.api_client())
    rules = [
        {
            "match": {"namespace": ns, "selector": "app=web"},
            "script": {
                "state": "waiting",
                "ready": False,
                "reason": "CrashLoopBackOff",
                "restarts": 2,
                "last_exit_code": 1,
                "last_reason": "Error",
                "logs": "from the configmap\n",
            },
        }
    ]
    core.create_namespaced_config_map(
        "kube-system", {"metadata": {"name": "standin-kubelet-script"}, "data": {"rules": json.dumps(rules)}}
    )
    client.AppsV1Api(cluster.api_client()).create_namespaced_deployment(ns, deployment("web"))
    pod = _one_pod(cluster, ns)
    assert pod.status.container_statuses[0].state.waiting.reason == "CrashLoopBackOff"
    assert core.read_namespaced_pod_log(pod.metadata.name, ns) == "from the configmap\n"
    status = client.ApiClient().sanitize_for_serialization(pod.status)
    status["containerStatuses"][0]["state"] = {"running": {"startedAt": "2026-01-01T00:00:00Z"}}
    status["containerStatuses"][0]["ready"] = True
    core.patch_namespaced_pod_status(pod.metadata.name, ns, {"status": status})
    cluster.settle()
    assert core.read_namespaced_pod(pod.metadata.name, ns).status.container_statuses[0].state.running


def test_a_pod_that_does_not_fit_stays_pending(cluster: Cluster) -> None:
    ns = cluster.namespace()
    cluster.kubelet  # noqa: B018
    body = deployment("big")
    body["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"memory": "64Gi"}}
    client.AppsV1Api(cluster.api_client()).create_namespaced_deployment(ns, body)
    pod = _one_pod(cluster, ns)
    assert pod.status.phase == "Pending" and not pod.spec.node_name
    scheduled = {c.type: c for c in pod.status.conditions}["PodScheduled"]
    assert scheduled.status == "False" and scheduled.reason == "Unschedulable"
    (event,) = [e for e in _events(cluster, ns, pod.metadata.name) if e[1] == "FailedScheduling"]
    assert event[2].startswith("0/1 nodes are available: 1 Insufficient memory.")


def test_a_pod_whose_claim_is_pending_stays_pending(cluster: Cluster) -> None:
    ns = cluster.namespace()
    cluster.kubelet  # noqa: B018
    core = client.CoreV1Api(cluster.api_client())
    core.create_namespaced_persistent_volume_claim(
        ns,
        {
            "metadata": {"name": "data"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "no-such-class",
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
    )
    body = deployment("web", volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}])
    client.AppsV1Api(cluster.api_client()).create_namespaced_deployment(ns, body)
    pod = _one_pod(cluster, ns)
    assert pod.status.phase == "Pending"
    assert (
        "unbound immediate PersistentVolumeClaims"
        in {c.type: c for c in pod.status.conditions}["PodScheduled"].message
    )
    assert core.read_namespaced_persistent_volume_claim("data", ns).status.phase == "Pending"
    assert any(r == "ProvisioningFailed" for _, r, _ in _events(cluster, ns, "data"))


def test_load_balancer_services_get_an_address(cluster: Cluster) -> None:
    ns = cluster.namespace()
    core = client.CoreV1Api(cluster.api_client())
    core.create_namespaced_service(
        ns,
        {
            "metadata": {"name": "web"},
            "spec": {
                "type": "LoadBalancer",
                "selector": {"app": "web"},
                "ports": [{"port": 80, "targetPort": 8080}],
            },
        },
    )
    svc = cluster.wait_for(
        lambda: (lambda s: s if s.status.load_balancer.ingress else None)(
            core.read_namespaced_service("web", ns)
        ),
        timeout=120,
        what="a load balancer address",
    )
    assert svc.spec.ports[0].node_port
    if cluster.is_standin:
        assert svc.status.load_balancer.ingress[0].ip == "127.0.0.1"
