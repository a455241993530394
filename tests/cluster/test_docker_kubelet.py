"""The Docker kubelet's done-criteria (issue #4 item 3), through the official client and the
kubeconfig the stand-in wrote: private image pulled with a pull secret, ready after its HTTP
readiness probe, log readable; a template change rolls the pods; CrashLoopBackOff with the exit
code; ImagePullBackOff without a pull secret, with a wrong one, and for a missing image; deleting a
Deployment removes pods and containers; every request is audited."""

from __future__ import annotations

import base64
import json
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from tests.cluster.docker_helpers import (
    TOOL_PROBE,
    events,
    ready,
    status,
    wait_pod,
    waiting_reason,
    web,
)
from tests.cluster.docker_kubelet import LABEL_POD_UID
from tests.cluster.docker_services import DockerServices
from tests.cluster.fixtures import DockerCluster

pytestmark = pytest.mark.docker


def test_private_image_with_pull_secret_is_ready_after_its_http_readiness_probe(
    docker_cluster: DockerCluster,
) -> None:
    c = docker_cluster
    ns = c.namespace()
    c.pull_secret(ns)
    # the tool's probe, with a longer initial delay (1.5 s here) so that polling sees the unready phase
    probe = {"httpGet": {"path": "/health", "port": 8080}, **TOOL_PROBE, "initialDelaySeconds": 30}
    body = web(c.image, readinessProbe=probe)
    client.AppsV1Api(c.api_client()).create_namespaced_deployment(ns, body)
    # running but not ready until the probe's initial delay has passed and the probe succeeded
    seen_unready = wait_pod(
        c,
        ns,
        lambda p: status(p).state.running is not None if p.status and p.status.container_statuses else False,
        what="a running container",
    )
    assert not status(seen_unready).ready and not ready(seen_unready)
    pod = wait_pod(c, ns, ready, what="the pod to become ready")
    name = pod.metadata.name
    started = status(pod).state.running.started_at
    became_ready = next(x.last_transition_time for x in pod.status.conditions if x.type == "Ready")
    assert became_ready >= started
    assert pod.status.phase == "Running" and status(pod).restart_count == 0
    assert status(pod).image_id.startswith(c.image.rsplit(":", 1)[0] + "@sha256:")
    assert status(pod).container_id.startswith("docker://")
    # the container answers on a published 127.0.0.1 port, and its log is readable through the API
    with urllib.request.urlopen(c.url(ns, name, 8080, "/health"), timeout=5) as answer:
        assert answer.read() == b"ok\n"
    core = client.CoreV1Api(c.api_client())
    log = core.read_namespaced_pod_log(name, ns)
    assert log.startswith("web starting\n") and "response:200" in log
    reasons = [reason for reason, _ in events(c, ns, name)]
    for expected in ("Scheduled", "Pulling", "Pulled", "Created", "Started"):
        assert expected in reasons
    assert "Unhealthy" not in reasons


def test_a_pod_template_change_rolls_the_pods(docker_cluster: DockerCluster) -> None:
    c = docker_cluster
    ns = c.namespace()
    c.pull_secret(ns)
    apps = client.AppsV1Api(c.api_client())
    apps.create_namespaced_deployment(ns, web(c.image, env=[{"name": "VERSION", "value": "1"}]))
    old = wait_pod(c, ns, ready)
    patch = {
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "web", "env": [{"name": "VERSION", "value": "2"}]}]}
            }
        }
    }
    apps.patch_namespaced_deployment("web", ns, patch)
    new = wait_pod(c, ns, lambda p: ready(p) and p.metadata.name != old.metadata.name, what="the new pod")
    assert new.metadata.labels["pod-template-hash"] != old.metadata.labels["pod-template-hash"]
    assert new.spec.containers[0].env[0].value == "2"
    core = client.CoreV1Api(c.api_client())
    c.wait_for(
        lambda: [p.metadata.name for p in core.list_namespaced_pod(ns).items] == [new.metadata.name],
        what="the old pod to go",
    )
    c.wait_for(lambda: not c.containers(**{LABEL_POD_UID: old.metadata.uid}), what="the old pod's containers")
    assert c.containers(**{LABEL_POD_UID: new.metadata.uid})
    c.wait_for(
        lambda: (
            (d := apps.read_namespaced_deployment("web", ns).status).updated_replicas == 1
            and d.ready_replicas == 1
            and d.replicas == 1
        ),
        what="the rollout to finish",
    )


def test_a_crashing_container_shows_crash_loop_back_off_with_its_exit_code(
    docker_cluster: DockerCluster,
) -> None:
    c = docker_cluster
    ns = c.namespace()
    c.pull_secret(ns)
    client.AppsV1Api(c.api_client()).create_namespaced_deployment(
        ns, web(c.image, "crash", command=["sh", "-c", "echo boom; exit 3"])
    )
    pod = wait_pod(c, ns, lambda p: waiting_reason(p) == "CrashLoopBackOff", what="CrashLoopBackOff")
    st = status(pod)
    assert st.restart_count >= 1 and not st.ready and pod.status.phase == "Running"
    assert st.last_state.terminated.exit_code == 3 and st.last_state.terminated.reason == "Error"
    assert st.last_state.terminated.container_id.startswith("docker://")
    assert st.state.waiting.message.startswith("back-off 10s restarting failed container=crash pod=")
    core = client.CoreV1Api(c.api_client())
    assert core.read_namespaced_pod_log(pod.metadata.name, ns) == "boom\n"
    assert core.read_namespaced_pod_log(pod.metadata.name, ns, previous=True) == "boom\n"
    assert (
        "BackOff",
        f"Back-off restarting failed container crash in pod {pod.metadata.name}_{ns}({pod.metadata.uid})",
    ) in events(c, ns, pod.metadata.name)


def _wrong_secret(c: DockerCluster, ns: str) -> str:
    return c.pull_secret(ns, "wrong", password="not-the-password")


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("no pull secret", "no basic auth credentials"),
        ("wrong pull secret", "unauthorized"),
        ("missing image", "not found"),
    ],
)
def test_image_pull_failures_end_in_image_pull_back_off(
    docker_cluster: DockerCluster, case: str, expected: str
) -> None:
    c = docker_cluster
    ns = c.namespace()
    c.pull_secret(ns)
    if case == "no pull secret":
        body = web(c.image, secret=None)
    elif case == "wrong pull secret":
        body = web(c.image, secret=_wrong_secret(c, ns))
    else:
        body = web(c.image.rsplit(":", 1)[0] + ":no-such-tag")
    client.AppsV1Api(c.api_client()).create_namespaced_deployment(ns, body)
    pod = wait_pod(c, ns, lambda p: waiting_reason(p) == "ImagePullBackOff", what="ImagePullBackOff")
    st = status(pod)
    assert st.state.waiting.message.startswith(f'Back-off pulling image "{st.image}"')
    assert expected in st.state.waiting.message and st.image_id == ""
    found = events(c, ns, pod.metadata.name)
    failed = [message for reason, message in found if reason == "Failed"]
    assert any(m.startswith(f'Failed to pull image "{st.image}": ') and expected in m for m in failed)
    assert "Error: ErrImagePull" in failed and "Error: ImagePullBackOff" in failed
    assert ("BackOff", f'Back-off pulling image "{st.image}"') in found
    core = client.CoreV1Api(c.api_client())
    with pytest.raises(client.ApiException) as info:
        core.read_namespaced_pod_log(pod.metadata.name, ns)
    assert info.value.status == 400 and "trying and failing to pull image" in info.value.body
    assert not c.containers(**{LABEL_POD_UID: pod.metadata.uid, "io.kubernetes.container.name": "web"})


@pytest.fixture
def users_docker_login(
    tmp_path: Path, docker_services: DockerServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A docker login for the registry in $DOCKER_CONFIG, as on a developer's machine."""
    config = tmp_path / "docker-config"
    config.mkdir()
    auth = base64.b64encode(f"{docker_services.user}:{docker_services.password}".encode()).decode()
    (config / "config.json").write_text(json.dumps({"auths": {docker_services.registry: {"auth": auth}}}))
    monkeypatch.setenv("DOCKER_CONFIG", str(config))


def test_the_users_docker_login_is_not_a_pull_secret(
    users_docker_login: None, docker_cluster: DockerCluster
) -> None:
    c = docker_cluster
    ns = c.namespace()
    client.AppsV1Api(c.api_client()).create_namespaced_deployment(ns, web(c.image, secret=None))
    pod = wait_pod(c, ns, lambda p: waiting_reason(p) in ("ErrImagePull", "ImagePullBackOff"))
    assert "no basic auth credentials" in status(pod).state.waiting.message


def test_deleting_a_deployment_removes_its_pods_and_containers(docker_cluster: DockerCluster) -> None:
    c = docker_cluster
    ns = c.namespace()
    c.pull_secret(ns)
    apps = client.AppsV1Api(c.api_client())
    body = web(c.image)
    body["spec"]["replicas"] = 2
    apps.create_namespaced_deployment(ns, body)
    core = client.CoreV1Api(c.api_client())
    pods = c.wait_for(
        lambda: (
            [p for p in core.list_namespaced_pod(ns).items if ready(p)]
            if len([p for p in core.list_namespaced_pod(ns).items if ready(p)]) == 2
            else None
        ),
        what="two ready pods",
    )
    uids = [p.metadata.uid for p in pods]
    for uid in uids:  # the app container and the sandbox
        assert sorted(
            x["Labels"]["io.kubernetes.container.name"] for x in c.containers(**{LABEL_POD_UID: uid})
        ) == ["POD", "web"]
    apps.delete_namespaced_deployment("web", ns)
    c.wait_for(lambda: not core.list_namespaced_pod(ns).items, what="the pods to go")
    c.wait_for(
        lambda: not any(c.containers(**{LABEL_POD_UID: uid}) for uid in uids), what="the containers to go"
    )
    assert not c.containers()


def test_every_request_is_in_the_audit_log(docker_cluster: DockerCluster) -> None:
    c = docker_cluster
    api = c.api_client()
    sent: list[tuple[str, str]] = []
    rest = api.rest_client
    original = rest.request

    def counting(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        sent.append((method, url.split("://", 1)[1].split("/", 1)[1].split("?", 1)[0]))
        return original(method, url, *args, **kwargs)

    rest.request = counting
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    ns = "audited"
    before = len(c.audit())
    core.create_namespace({"metadata": {"name": ns}})
    c.pull_secret(ns)
    apps.create_namespaced_deployment(ns, web(c.image))
    deadline = time.monotonic() + 20
    while not any(ready(p) for p in core.list_namespaced_pod(ns).items):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    (pod,) = core.list_namespaced_pod(ns).items
    core.read_namespaced_pod_log(pod.metadata.name, ns)
    core.list_namespaced_event(ns)
    apps.delete_namespaced_deployment("web", ns)
    audited = [(r["verb"], r["path"].lstrip("/")) for r in c.audit()[before:]]
    assert len(sent) > 5
    remaining = list(audited)
    for request in sent:
        assert request in remaining, f"{request} is not in the audit log"
        remaining.remove(request)
    assert ("POST", f"api/v1/namespaces/{ns}/secrets") in sent
    assert ("GET", f"api/v1/namespaces/{ns}/pods/{pod.metadata.name}/log") in sent
    lines = [json.loads(line) for line in (c.kubeconfig.parent / "audit.jsonl").read_text().splitlines()]
    assert [(r["verb"], r["path"].lstrip("/")) for r in lines][before:] == audited
