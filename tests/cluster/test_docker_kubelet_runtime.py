"""The Docker kubelet at run time: memory limits (OOMKilled), readiness and liveness probes
(httpGet, tcpSocket) with restarts, logs (tailLines, previous, container, timestamps, follow),
pull policies, and a StatefulSet whose PVC data outlives its pod."""

from __future__ import annotations

import threading

import pytest
from kubernetes import client

from tests.cluster.builders import statefulset
from tests.cluster.docker_helpers import FAST_PROBE, events, ready, status, wait_pod, waiting_reason, web
from tests.cluster.docker_kubelet import LABEL_POD_UID
from tests.cluster.fixtures import DockerCluster

pytestmark = pytest.mark.docker

HOG = "echo eating; a=$(dd if=/dev/zero bs=1M count=64 2>/dev/null | tr '\\0' x); echo survived"


def test_exceeding_the_memory_limit_is_oom_killed(docker_cluster: DockerCluster) -> None:
    c = docker_cluster
    ns = c.namespace()
    c.pull_secret(ns)
    body = web(c.image, "hog", command=["sh", "-c", HOG], resources={"limits": {"memory": "16Mi"}})
    client.AppsV1Api(c.api_client()).create_namespaced_deployment(ns, body)
    pod = wait_pod(
        c,
        ns,
        lambda p: p.status.container_statuses and status(p).last_state.terminated is not None,
        what="the first OOM kill",
    )
    last = status(pod).last_state.terminated
    assert (last.reason, last.exit_code) == ("OOMKilled", 137)
    wait_pod(c, ns, lambda p: waiting_reason(p) == "CrashLoopBackOff", what="CrashLoopBackOff")
    (container,) = c.containers(**{LABEL_POD_UID: pod.metadata.uid, "io.kubernetes.container.name": "hog"})[
        :1
    ]
    limits = c.docker_kubelet.engine.api.inspect_container(container["Id"])["HostConfig"]
    assert limits["Memory"] == limits["MemorySwap"] == 16 * 2**20


def test_readiness_and_liveness_probes_run_against_the_container(docker_cluster: DockerCluster) -> None:
    c = docker_cluster
    ns = c.namespace()
    c.pull_secret(ns)
    body = web(
        c.image,
        readinessProbe={"httpGet": {"path": "/not-there", "port": 8080}, **FAST_PROBE, "periodSeconds": 2},
        livenessProbe={"tcpSocket": {"port": 8080}, **FAST_PROBE},
    )
    client.AppsV1Api(c.api_client()).create_namespaced_deployment(ns, body)
    core = client.CoreV1Api(c.api_client())

    def unhealthy(message: str) -> bool:
        return ("Unhealthy", message) in events(c, ns, wait_pod(c, ns, lambda p: True).metadata.name)

    c.wait_for(
        lambda: unhealthy("Readiness probe failed: HTTP probe failed with statuscode: 404"), what="Unhealthy"
    )
    pod = wait_pod(c, ns, lambda p: True)
    st = status(pod)
    assert st.state.running is not None and not st.ready and st.restart_count == 0  # TCP liveness passes
    assert not ready(pod) and pod.status.phase == "Running"
    # a container that does not listen: the TCP liveness probe fails and the kubelet restarts it
    body = web(
        c.image,
        "dead",
        command=["sh", "-c", "echo up; sleep 3600"],
        livenessProbe={"tcpSocket": {"port": 8080}, **FAST_PROBE},
    )
    client.AppsV1Api(c.api_client()).create_namespaced_deployment(ns, body)

    def restarted() -> client.V1Pod | None:
        pods = core.list_namespaced_pod(ns, label_selector="app=dead").items
        return (
            pods[0]
            if pods
            and (pods[0].status.container_statuses or [None])[0]
            and status(pods[0]).restart_count >= 1
            else None
        )

    dead = c.wait_for(restarted, timeout=20, what="a liveness restart")
    found = events(c, ns, dead.metadata.name)
    assert (
        "Unhealthy",
        "Liveness probe failed: dial tcp 127.0.0.1:8080: connect: connection refused",
    ) in found
    assert ("Killing", "Container dead failed liveness probe, will be restarted") in found
    assert status(dead).last_state.terminated.exit_code == 137
    assert core.read_namespaced_pod_log(dead.metadata.name, ns, previous=True) == "up\n"


def test_http_liveness_failure_restarts_with_a_404_event(docker_cluster: DockerCluster) -> None:
    c = docker_cluster
    ns = c.namespace()
    c.pull_secret(ns)
    body = web(c.image, livenessProbe={"httpGet": {"path": "/gone", "port": 8080}, **FAST_PROBE})
    client.AppsV1Api(c.api_client()).create_namespaced_deployment(ns, body)
    pod = wait_pod(
        c, ns, lambda p: p.status.container_statuses and status(p).restart_count >= 1, what="a restart"
    )
    assert ("Unhealthy", "Liveness probe failed: HTTP probe failed with statuscode: 404") in events(
        c, ns, pod.metadata.name
    )


def test_logs_tail_lines_previous_container_timestamps_and_follow(docker_cluster: DockerCluster) -> None:
    c = docker_cluster
    ns = c.namespace()
    c.pull_secret(ns)
    body = web(c.image, command=["sh", "-c", "for i in 1 2 3 4 5; do echo line $i; done; sleep 3600"])
    body["spec"]["template"]["spec"]["containers"].append(
        {
            "name": "side",
            "image": c.image,
            "command": ["sh", "-c", "echo side run; exit 2"],
        }
    )
    client.AppsV1Api(c.api_client()).create_namespaced_deployment(ns, body)
    pod = wait_pod(
        c,
        ns,
        lambda p: (
            len(p.status.container_statuses or []) == 2
            and status(p, "side").restart_count >= 1
            and status(p, "side").last_state.terminated is not None
        ),
    )
    name = pod.metadata.name
    core = client.CoreV1Api(c.api_client())
    assert core.read_namespaced_pod_log(name, ns, container="web") == "".join(
        f"line {i}\n" for i in range(1, 6)
    )
    assert core.read_namespaced_pod_log(name, ns, container="web", tail_lines=2) == "line 4\nline 5\n"
    assert core.read_namespaced_pod_log(name, ns, container="web", tail_lines=0) == ""
    assert core.read_namespaced_pod_log(name, ns, container="web", limit_bytes=8) == "line 1\nl"
    stamped = core.read_namespaced_pod_log(name, ns, container="web", tail_lines=1, timestamps=True)
    assert stamped.endswith("Z line 5\n") and stamped[:4].isdigit()
    assert core.read_namespaced_pod_log(name, ns, container="side", previous=True) == "side run\n"
    assert status(pod, "side").last_state.terminated.exit_code == 2
    with pytest.raises(client.ApiException) as info:
        core.read_namespaced_pod_log(name, ns, container="web", previous=True)
    assert info.value.status == 400 and "previous terminated container" in info.value.body
    with pytest.raises(client.ApiException) as info:
        core.read_namespaced_pod_log(name, ns)
    assert info.value.status == 400 and "a container name must be specified" in info.value.body
    # follow: a stream that ends when the container ends
    follow = web(c.image, "talker", command=["sh", "-c", "echo one; sleep 0.5; echo two"])
    client.AppsV1Api(c.api_client()).create_namespaced_deployment(ns, follow)
    talker = c.wait_for(
        lambda: next(
            (
                p
                for p in core.list_namespaced_pod(ns, label_selector="app=talker").items
                if p.status.container_statuses and status(p).state.running
            ),
            None,
        ),
        what="the talker running",
    )
    response = core.read_namespaced_pod_log(talker.metadata.name, ns, follow=True, _preload_content=False)
    received: list[str] = []
    reader = threading.Thread(
        target=lambda: received.extend(
            chunk.decode() for chunk in response.stream(amt=None, decode_content=False)
        ),
        daemon=True,
    )
    reader.start()
    reader.join(10)
    response.release_conn()
    assert "".join(received) in ("one\ntwo\n",), received


def test_pull_policies_if_not_present_and_never(docker_cluster: DockerCluster) -> None:
    c = docker_cluster
    ns = c.namespace()
    c.pull_secret(ns)
    apps = client.AppsV1Api(c.api_client())
    apps.create_namespaced_deployment(ns, web(c.image, "first"))  # Always: pulls the image onto the node
    c.wait_for(lambda: any(ready(p) for p in client.CoreV1Api(c.api_client()).list_namespaced_pod(ns).items))
    present = web(c.image, "present", secret=None, imagePullPolicy="IfNotPresent")  # no secret needed now
    apps.create_namespaced_deployment(ns, present)
    never = web(c.image + "-absent", "never", secret=None, imagePullPolicy="Never")
    apps.create_namespaced_deployment(ns, never)
    core = client.CoreV1Api(c.api_client())

    def pod_of(app: str) -> client.V1Pod | None:
        pods = core.list_namespaced_pod(ns, label_selector=f"app={app}").items
        return pods[0] if pods and pods[0].status.container_statuses else None

    ok = c.wait_for(lambda: (p := pod_of("present")) and ready(p) and p, what="the IfNotPresent pod")
    assert ("Pulled", f'Container image "{c.image}" already present on machine') in events(
        c, ns, ok.metadata.name
    )
    bad = c.wait_for(lambda: (p := pod_of("never")) and waiting_reason(p) == "ErrImageNeverPull" and p)
    assert status(bad).state.waiting.message == (
        f'Container image "{c.image}-absent" is not present with pull policy of Never'
    )


def test_statefulset_pvc_data_survives_a_pod_delete(docker_cluster: DockerCluster) -> None:
    c = docker_cluster
    ns = c.namespace()
    c.pull_secret(ns)
    body = statefulset("db", replicas=1, image=c.image)
    spec = body["spec"]["template"]["spec"]
    spec["imagePullSecrets"] = [{"name": "regcred"}]
    spec["containers"][0]["command"] = [
        "sh",
        "-c",
        "echo boot >> /data/boots; wc -l < /data/boots; sleep 3600",
    ]
    client.AppsV1Api(c.api_client()).create_namespaced_stateful_set(ns, body)
    core = client.CoreV1Api(c.api_client())
    first = wait_pod(c, ns, ready)
    assert first.metadata.name == "db-0"
    c.wait_for(lambda: core.read_namespaced_pod_log("db-0", ns).strip() == "1", what="the first boot")
    core.delete_namespaced_pod("db-0", ns)
    second = wait_pod(c, ns, lambda p: p.metadata.uid != first.metadata.uid and ready(p), what="db-0 back")
    assert second.metadata.name == "db-0"
    c.wait_for(lambda: core.read_namespaced_pod_log("db-0", ns).strip() == "2", what="the second boot")
    assert not c.containers(**{LABEL_POD_UID: first.metadata.uid})
    claim = core.read_namespaced_persistent_volume_claim("data-db-0", ns)
    volumes = c.docker_kubelet.engine.api.volumes(filters=c.docker_kubelet.engine.mine())["Volumes"]
    assert [v["Name"] for v in volumes] == [f"hyscale-standin-{claim.spec.volume_name}"]
