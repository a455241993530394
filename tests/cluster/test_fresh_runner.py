"""A fresh CI runner deploys an unchanged app without a build, a push, a write to the cluster or a
restarted pod: the registry knows what each image was built from, and the cluster already runs
the manifests.

The app (a generated Dockerfile, a user Dockerfile, a stack image used as it is) is deployed from
the usual engine and HYSCALE_HOME. The fresh runner has a copy of the app's files with new
mtimes, an empty HYSCALE_HOME and a Docker engine with an empty data-root; relays count what
reaches that engine and the registry, the API server's audit log what reaches the cluster.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from kubernetes import client

from testing.audit import writes
from testing.cluster import Cluster
from testing.fresh import Fresh
from testing.registry import Registry
from testing.workspace import Workspace

SERVICES = ("web", "api", "base")
# A container that stays up until it is stopped (the stack image has no server of its own).
IDLE = "sh,-c,trap 'exit 0' TERM; sleep 100000 & wait"
ALREADY_RUNS = "The cluster already runs these manifests: nothing was written"


def _idle(app: Workspace, service: str) -> None:
    path = app.folder / f"{service}.hspec"
    spec = yaml.safe_load(path.read_text())
    spec["startCommand"] = IDLE
    path.write_text(yaml.safe_dump(spec, sort_keys=False))


@pytest.fixture
def deployed(tmp_path: Path, registry: Registry, cluster: Cluster) -> Iterator[Fresh]:
    with Fresh.started(tmp_path, registry, "freshdeploy") as started:
        app = started.pushed
        app.kubeconfig = cluster.kubeconfig
        app.timeout = 240.0
        cluster.track(app.name)  # the namespace is the app's name
        app.generated("web", f"web of {app.name}\n")
        app.user_dockerfile("api", "ARG BASE\nFROM ${BASE}\nCOPY . /ctx/\n",
                            {"included.txt": app.name}, args={"BASE": registry.stack_image})
        _idle(app, "api")
        app.stack_as_is("base")
        _idle(app, "base")
        app.run("-n", "3", "deploy")
        yield started


def _pods(cluster: Cluster, namespace: str) -> dict[str, int]:
    """Each pod of the namespace, with its containers' restart count."""
    pods = client.CoreV1Api(cluster.api_client()).list_namespaced_pod(namespace).items
    return {p.metadata.name: sum(c.restart_count for c in p.status.container_statuses or [])
            for p in pods if not p.metadata.deletion_timestamp}


def _runner(fresh: Fresh, cluster: Cluster) -> Workspace:
    runner = fresh.runner()
    runner.kubeconfig = cluster.kubeconfig
    runner.timeout = 240.0
    return runner


def test_an_unchanged_app_on_a_fresh_runner_builds_pushes_and_writes_nothing(
        deployed: Fresh, cluster: Cluster) -> None:
    namespace = deployed.pushed.name
    before = _pods(cluster, namespace)
    runner = _runner(deployed, cluster)

    mark = len(cluster.audit())
    result = runner.run("-n", "3", "deploy")
    seen = cluster.audit()[mark:]

    assert {f"deploy:{s}" for s in SERVICES} <= set(result.executed)
    assert deployed.engine_relay.snapshot() == (0, []), "the fresh engine was called"
    assert deployed.uploads() == [], "something was pushed"
    assert writes(seen) == [], "the deploy wrote to the cluster"
    assert result.stderr.count(ALREADY_RUNS) == len(SERVICES), result.stderr
    assert _pods(cluster, namespace) == before, "a pod was replaced or restarted"
    assert runner.run("deploy").executed == [], "the next run is an ordinary no-op"


def test_one_changed_artifact_on_a_fresh_runner_redeploys_exactly_that_service(
        deployed: Fresh, cluster: Cluster) -> None:
    namespace = deployed.pushed.name
    before = _pods(cluster, namespace)
    runner = _runner(deployed, cluster)
    runner.artifact("web").write_text(f"web v2 of {runner.name}\n")

    result = runner.run("-n", "3", "deploy")

    assert len(deployed.builds()) == 1, deployed.builds()  # web's, on the fresh engine
    assert {t for t in result.executed if t.startswith("deploy:")} == {f"deploy:{s}" for s in SERVICES}
    assert result.stderr.count(ALREADY_RUNS) == 2, result.stderr  # api and base
    after = _pods(cluster, namespace)
    kept = {name for name in before if not name.startswith("web-")}
    assert {name: after.get(name) for name in kept} == {name: before[name] for name in kept}
    assert not set(after) & {name for name in before if name.startswith("web-")}, \
        "web's pod was not replaced"
