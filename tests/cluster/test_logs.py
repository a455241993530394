"""pods/log: tailLines, previous, container, follow, timestamps, and the kubelet's 400s."""

from __future__ import annotations

import json
import threading

import pytest
from kubernetes import client

from tests.cluster.builders import deployment
from tests.cluster.fixtures import Cluster
from tests.cluster.kubelet_scripted import crash_loop, image_pull_backoff, running


@pytest.fixture
def two_containers(cluster: Cluster) -> tuple[client.CoreV1Api, str, str]:
    ns = cluster.namespace()
    kubelet = cluster.kubelet
    kubelet.script(running(logs="".join(f"line {i}\n" for i in range(1, 11))), namespace=ns, container="web")
    kubelet.script(
        crash_loop(exit_code=2, logs="side now\n", previous_logs="side before\n"),
        namespace=ns,
        container="side",
    )
    body = deployment("web")
    body["spec"]["template"]["spec"]["containers"].append({"name": "side", "image": "registry.local/side:1"})
    client.AppsV1Api(cluster.api_client()).create_namespaced_deployment(ns, body)
    core = client.CoreV1Api(cluster.api_client())
    cluster.settle()
    (pod,) = core.list_namespaced_pod(ns).items
    return core, ns, pod.metadata.name


def test_logs_with_tail_lines(two_containers: tuple[client.CoreV1Api, str, str]) -> None:
    core, ns, pod = two_containers
    assert core.read_namespaced_pod_log(pod, ns, container="web") == "".join(
        f"line {i}\n" for i in range(1, 11)
    )
    assert core.read_namespaced_pod_log(pod, ns, container="web", tail_lines=2) == "line 9\nline 10\n"
    assert core.read_namespaced_pod_log(pod, ns, container="web", tail_lines=0) == ""
    stamped = core.read_namespaced_pod_log(pod, ns, container="web", tail_lines=1, timestamps=True)
    assert stamped.endswith(" line 10\n") and stamped[:4].isdigit()


def test_previous_and_container(two_containers: tuple[client.CoreV1Api, str, str]) -> None:
    core, ns, pod = two_containers
    assert core.read_namespaced_pod_log(pod, ns, container="side") == "side now\n"
    assert core.read_namespaced_pod_log(pod, ns, container="side", previous=True) == "side before\n"
    with pytest.raises(client.ApiException) as info:
        core.read_namespaced_pod_log(pod, ns, container="web", previous=True)
    assert info.value.status == 400 and "previous terminated container" in info.value.body
    with pytest.raises(client.ApiException) as info:
        core.read_namespaced_pod_log(pod, ns)
    assert info.value.status == 400 and "a container name must be specified" in info.value.body
    with pytest.raises(client.ApiException) as info:
        core.read_namespaced_pod_log(pod, ns, container="nope")
    assert info.value.status == 400 and "is not valid for pod" in info.value.body


def test_follow_streams_new_lines(
    cluster: Cluster, two_containers: tuple[client.CoreV1Api, str, str]
) -> None:
    core, ns, pod = two_containers
    response = core.read_namespaced_pod_log(
        pod, ns, container="web", follow=True, tail_lines=1, _preload_content=False
    )
    received: list[str] = []

    def read() -> None:
        for chunk in response.stream(amt=None, decode_content=False):
            received.append(chunk.decode())
            if "appended" in "".join(received):
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    cluster.wait_for(lambda: received, what="the first followed line")
    cluster.kubelet.append_log(ns, pod, "appended\n", container="web")
    reader.join(5)
    response.release_conn()
    assert "".join(received) == "line 10\nappended\n"


def test_logs_of_a_container_that_never_started_are_400(cluster: Cluster) -> None:
    ns = cluster.namespace()
    cluster.kubelet.script(image_pull_backoff(), namespace=ns)
    client.AppsV1Api(cluster.api_client()).create_namespaced_deployment(ns, deployment("web"))
    core = client.CoreV1Api(cluster.api_client())
    cluster.settle()
    (pod,) = core.list_namespaced_pod(ns).items
    with pytest.raises(client.ApiException) as info:
        core.read_namespaced_pod_log(pod.metadata.name, ns)
    assert info.value.status == 400
    message = json.loads(info.value.body)["message"]
    expected = f'container "web" in pod "{pod.metadata.name}" is waiting to start: '
    assert message == expected + "trying and failing to pull image"
