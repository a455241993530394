"""The Docker kubelet and a pod's configuration: command/args, env and envFrom from ConfigMaps and
Secrets, CreateContainerConfigError for what is missing, configMap and secret volumes as files (that
follow their object), emptyDir shared by the pod's containers."""

from __future__ import annotations

import urllib.request

import pytest
from kubernetes import client

from tests.cluster.docker_helpers import ready, status, wait_pod, waiting_reason, web
from tests.cluster.fixtures import DockerCluster

pytestmark = pytest.mark.docker

SERVE = "exec httpd -f -p 8080 -h /www"


def _config(c: DockerCluster, ns: str) -> client.CoreV1Api:
    core = client.CoreV1Api(c.api_client())
    core.create_namespaced_config_map(
        ns, {"metadata": {"name": "cfg"}, "data": {"COLOR": "blue", "app.conf": "port=8080\n", "1st": "x"}}
    )
    core.create_namespaced_secret(
        ns, {"metadata": {"name": "sec"}, "stringData": {"PASSWORD": "s3cret", "TOKEN": "t0k"}}
    )
    return core


def _fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return str(answer.read().decode())


def test_env_env_from_command_and_args(docker_cluster: DockerCluster) -> None:
    c = docker_cluster
    ns = c.namespace()
    c.pull_secret(ns)
    core = _config(c, ns)
    script = (
        'echo "color=$COLOR pw=$PASSWORD cfg_color=$CFG_COLOR tok=$S_TOKEN pod=$POD ns=$NS '
        'greeting=$GREETING"; echo "$1"; sleep 3600'
    )
    body = web(
        c.image,
        command=["sh", "-c", script],
        args=["--", "arg says $(GREETING) and $$(GREETING)"],
        envFrom=[
            {"configMapRef": {"name": "cfg"}, "prefix": "CFG_"},
            {"secretRef": {"name": "sec"}, "prefix": "S_"},
            {"configMapRef": {"name": "cfg"}},
        ],
        env=[
            {"name": "COLOR", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "COLOR"}}},
            {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "sec", "key": "PASSWORD"}}},
            {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "GREETING", "value": "hi $(COLOR)"},
            {
                "name": "OPTIONAL",
                "valueFrom": {"configMapKeyRef": {"name": "nope", "key": "x", "optional": True}},
            },
        ],
    )
    client.AppsV1Api(c.api_client()).create_namespaced_deployment(ns, body)
    pod = wait_pod(c, ns, ready)
    name = pod.metadata.name
    log = c.wait_for(lambda: core.read_namespaced_pod_log(name, ns), what="the log")
    assert log.splitlines() == [
        f"color=blue pw=s3cret cfg_color=blue tok=t0k pod={name} ns={ns} greeting=hi blue",
        "arg says hi blue and $(GREETING)",
    ]
    # a key that is no valid variable name is skipped, with the kubelet's warning
    found = core.list_namespaced_event(ns, field_selector=f"involvedObject.name={name}").items
    assert any(e.reason == "InvalidEnvironmentVariableNames" and "[1st]" in e.message for e in found)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "NOPE"}}}],
            "couldn't find key NOPE in ConfigMap {ns}/cfg",
        ),
        (
            [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "sec", "key": "NOPE"}}}],
            "couldn't find key NOPE in Secret {ns}/sec",
        ),
        (
            [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "later", "key": "K"}}}],
            'secret "later" not found',
        ),
    ],
)
def test_missing_config_is_create_container_config_error_until_it_exists(
    docker_cluster: DockerCluster, env: list[dict[str, object]], message: str
) -> None:
    c = docker_cluster
    ns = c.namespace()
    c.pull_secret(ns)
    core = _config(c, ns)
    client.AppsV1Api(c.api_client()).create_namespaced_deployment(ns, web(c.image, env=env))
    pod = wait_pod(c, ns, lambda p: waiting_reason(p) == "CreateContainerConfigError")
    assert status(pod).state.waiting.message == message.format(ns=ns)
    found = core.list_namespaced_event(ns, field_selector=f"involvedObject.name={pod.metadata.name}").items
    assert any(e.reason == "Failed" and e.message == "Error: " + message.format(ns=ns) for e in found)
    assert pod.status.phase == "Pending"
    # the kubelet tries again: once the key exists the container starts
    if "later" in message:
        core.create_namespaced_secret(ns, {"metadata": {"name": "later"}, "stringData": {"K": "v"}})
    elif "Secret" in message:
        core.patch_namespaced_secret("sec", ns, {"stringData": {"NOPE": "now"}})
    else:
        core.patch_namespaced_config_map("cfg", ns, {"data": {"NOPE": "now"}})
    wait_pod(c, ns, ready, what="the pod to start once its config exists")


def test_config_map_and_secret_volumes_are_files(docker_cluster: DockerCluster) -> None:
    c = docker_cluster
    ns = c.namespace()
    c.pull_secret(ns)
    core = _config(c, ns)
    body = web(
        c.image,
        command=["sh", "-c", SERVE],
        volumeMounts=[
            {"name": "cfg", "mountPath": "/www/cfg", "readOnly": True},
            {"name": "sec", "mountPath": "/www/sec"},
            {"name": "one", "mountPath": "/www/one.conf", "subPath": "app.conf"},
        ],
    )
    body["spec"]["template"]["spec"]["volumes"] = [
        {"name": "cfg", "configMap": {"name": "cfg"}},
        {
            "name": "sec",
            "secret": {"secretName": "sec", "items": [{"key": "TOKEN", "path": "deep/token.txt"}]},
        },
        {"name": "one", "configMap": {"name": "cfg"}},
    ]
    client.AppsV1Api(c.api_client()).create_namespaced_deployment(ns, body)
    pod = wait_pod(c, ns, ready)
    url = c.url(ns, pod.metadata.name, 8080)
    assert _fetch(url + "cfg/app.conf") == "port=8080\n"
    assert _fetch(url + "cfg/COLOR") == "blue"
    assert _fetch(url + "sec/deep/token.txt") == "t0k"
    assert _fetch(url + "one.conf") == "port=8080\n"
    with pytest.raises(urllib.error.HTTPError):
        _fetch(url + "sec/PASSWORD")  # not among the items
    # a changed ConfigMap reaches the mounted files (atomically, through ..data), not a subPath
    core.patch_namespaced_config_map("cfg", ns, {"data": {"app.conf": "port=9090\n"}})
    c.wait_for(lambda: _fetch(url + "cfg/app.conf") == "port=9090\n", what="the new file content")
    assert _fetch(url + "one.conf") == "port=8080\n"


def test_a_missing_config_map_volume_keeps_the_pod_container_creating(docker_cluster: DockerCluster) -> None:
    c = docker_cluster
    ns = c.namespace()
    c.pull_secret(ns)
    body = web(c.image, volumeMounts=[{"name": "cfg", "mountPath": "/cfg"}])
    body["spec"]["template"]["spec"]["volumes"] = [{"name": "cfg", "configMap": {"name": "absent"}}]
    client.AppsV1Api(c.api_client()).create_namespaced_deployment(ns, body)
    core = client.CoreV1Api(c.api_client())

    def failed_mount() -> bool:
        found = core.list_namespaced_event(ns, field_selector="reason=FailedMount").items
        return any(
            e.message == 'MountVolume.SetUp failed for volume "cfg" : configmap "absent" not found'
            for e in found
        )

    c.wait_for(failed_mount, what="FailedMount")
    pod = wait_pod(c, ns, lambda p: True)
    assert pod.status.phase == "Pending" and waiting_reason(pod) == "ContainerCreating"
    core.create_namespaced_config_map(ns, {"metadata": {"name": "absent"}, "data": {"k": "v"}})
    wait_pod(c, ns, ready, what="the pod to start once its ConfigMap exists")


def test_containers_of_a_pod_share_localhost_and_an_empty_dir(docker_cluster: DockerCluster) -> None:
    c = docker_cluster
    ns = c.namespace()
    c.pull_secret(ns)
    body = web(
        c.image, command=["sh", "-c", SERVE], volumeMounts=[{"name": "shared", "mountPath": "/www/shared"}]
    )
    spec = body["spec"]["template"]["spec"]
    spec["volumes"] = [{"name": "shared", "emptyDir": {}}]
    spec["containers"].append(
        {
            "name": "side",
            "image": c.image,
            "command": [
                "sh",
                "-c",
                "echo from-side > /out/note; until wget -q -O - http://127.0.0.1:8080/health; "
                "do sleep 0.1; done; sleep 3600",
            ],
            "volumeMounts": [{"name": "shared", "mountPath": "/out"}],
        }
    )
    client.AppsV1Api(c.api_client()).create_namespaced_deployment(ns, body)
    pod = wait_pod(c, ns, ready)
    assert _fetch(c.url(ns, pod.metadata.name, 8080, "/shared/note")) == "from-side\n"
    core = client.CoreV1Api(c.api_client())
    c.wait_for(
        lambda: core.read_namespaced_pod_log(pod.metadata.name, ns, container="side") == "ok\n",
        what="the sidecar reaching the web container on localhost",
    )
