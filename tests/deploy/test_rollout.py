"""The rollout wait: fail fast on states that will not heal, say why in spec terms, with the
container's last log lines, a non-zero exit and no traceback; the deadline and its override.

Pod states come from the scripted kubelet; images are prebuilt (no Docker).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest
from kubernetes import client

from tests.cluster.fixtures import Cluster
from tests.cluster.kubelet_scripted import (
    Script,
    config_error,
    crash_loop,
    err_image_pull,
    image_pull_backoff,
    not_ready,
    oom_killed,
    running,
)
from tests.deploy.apps import DeployApp, assert_no_traceback, make_app, status_rows
from tests.deploy.conftest import NewApp
from tests.doit_runner import DoitResult

WEB = {"hyscale.io/service-name": "web"}
FAST = 5.0  # seconds per service: "fails fast" is well before the deadline the tests set (60 s)


@dataclass(frozen=True)
class Failure:
    script: Script
    says: tuple[str, ...]  # fragments of the error, in spec terms ({svc}: the service's name)
    spec: dict[str, Any] | None = None


FAILURES = {  # the service is named after the case
    "crash-loop": Failure(
        crash_loop(exit_code=3, logs="starting web\nFATAL: cannot open /etc/web.conf\n"),
        ("Service startup commands failed with exit code 3",
         "Please verify the startCommands in service spec or CMD in Dockerfile",
         "FATAL: cannot open /etc/web.conf")),
    "image-pull-backoff": Failure(
        image_pull_backoff("manifest unknown: manifest unknown"),
        ("Invalid Image name or tag provided", "Recheck the image name or tag in {svc} service spec")),
    "unauthorized-pull": Failure(
        err_image_pull("unauthorized: authentication required"),
        ("Incorrect registry credentials", "docker login")),
    "oom-killed": Failure(
        oom_killed(logs="allocating 512Mi\n"),
        ('Out of memory errors. Not enough memory to run "{svc}"',
         "Increase the memory limits in service spec"),
        {"memory": "32Mi-64Mi"}),
    "missing-config-key": Failure(
        config_error("couldn't find key DB_PASSWORD in Secret {ns}/shared-db"),
        ("Key DB_PASSWORD is missing in Secret",)),
    "failing-health-check": Failure(
        Script("running", ready=False, events=(
            ("Warning", "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503"),) * 3),
        ("Health check specified for service failed", "ports[0].healthCheck")),
    "unschedulable": Failure(
        running(),
        ("Cannot accommodate new services as the cluster is full",
         "contact your cluster administrator"),
        {"memory": "64Gi"}),
}


def _timed_deploy(app: DeployApp, *services: str) -> tuple[Any, float]:
    started = time.monotonic()
    result = app.deploy(*services, check=False)
    return result, time.monotonic() - started


@dataclass
class Failed:
    app: DeployApp
    result: DoitResult
    took: float

    def error(self, service: str) -> str:
        """The ``[ERROR]  Deployment of <service> failed`` block of the output."""
        lines = self.result.stderr.splitlines()
        start = next((i for i, line in enumerate(lines)
                      if line.startswith(f"[ERROR]  Deployment of {service} failed")), None)
        assert start is not None, f"no error for {service} in:\n{self.result.stderr}"
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")), len(lines))
        return "\n".join(lines[start:end])


@pytest.fixture(scope="module")
def failed(shared_cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Failed:
    """One app with a service per failure, deployed by one ``doit --continue deploy`` (serial: the
    output of parallel workers interleaves)."""
    app = make_app(tmp_path_factory.mktemp("failures"), "fail", shared_cluster.kubeconfig)
    app.extra_env["HYS_ROLLOUT_TIMEOUT"] = "60"
    for service, failure in FAILURES.items():
        app.web(service, **(failure.spec or {}))
        script = failure.script
        if script.message and "{ns}" in script.message:
            script = config_error(script.message.format(ns=app.namespace))
        shared_cluster.kubelet.script(script, selector={"hyscale.io/service-name": service})
    started = time.monotonic()
    result = app.run("--continue", "deploy", check=False)
    return Failed(app, result, time.monotonic() - started)


@pytest.mark.parametrize("case", list(FAILURES))
def test_failing_rollout_fails_fast_with_a_diagnosis(case: str, failed: Failed) -> None:
    assert failed.result.returncode != 0
    assert_no_traceback(failed.result)
    assert failed.took < FAST * len(FAILURES), f"took {failed.took:.1f}s: a wait did not stop early"
    error = failed.error(case)
    for fragment in FAILURES[case].says:
        assert fragment.format(svc=case) in error, f"{fragment!r} not in:\n{error}"
    assert "Timedout" not in error
    assert failed.app.deploy_record(case)["ready"] is False  # applied, recorded, not in sync


def test_health_check_diagnosis_counts_the_failures(failed: Failed) -> None:
    assert "failed 3 times in succession" in failed.error("failing-health-check")


def test_crash_log_lines_are_shown_and_saved_to_deploy_log(new_app: NewApp, cluster: Cluster) -> None:
    app = new_app("crashlog")
    app.web()
    lines = [f"line {n} of the crashing container" for n in range(1, 31)]
    cluster.kubelet.script(crash_loop(exit_code=1, logs="\n".join(lines) + "\n"), selector=WEB)

    result = app.deploy("web", check=False)

    assert result.returncode != 0
    assert "Service startup commands failed with FAILURE" in result.stderr
    assert lines[-1] in result.stderr and lines[-15] in result.stderr, "the last lines are shown"
    assert lines[0] not in result.stderr, "only the last lines are shown"
    saved = app.paths("web").deploy_log.read_text()
    assert saved.splitlines() == lines


def test_ready_service_says_where_it_answers_and_saves_its_log(new_app: NewApp, cluster: Cluster) -> None:
    app = new_app("ok")
    app.web(external=True)
    app.web("api")
    cluster.kubelet.script(running(logs="web is up on 8080\n"))

    result = app.deploy()

    assert "[INFO]  Service IP : 127.0.0.1:8080" in result.stderr  # the LoadBalancer's address
    assert f"Service address : api.{app.namespace}.svc:8080" in result.stderr
    assert app.paths("web").deploy_log.read_text() == "web is up on 8080\n"
    record = app.deploy_record("web")
    assert record["ready"] is True and record["namespace"] == app.namespace


def test_rollout_timeout_comes_from_HYS_ROLLOUT_TIMEOUT(new_app: NewApp, cluster: Cluster) -> None:  # noqa: N802
    """A pod that is running but never ready (one failed probe: no reason to give up early)."""
    app = new_app("slow")
    app.extra_env["HYS_ROLLOUT_TIMEOUT"] = "2"
    app.web()
    cluster.kubelet.script(not_ready(), selector=WEB)

    result, took = _timed_deploy(app, "web")

    assert result.returncode != 0
    assert_no_traceback(result)
    assert "up to 2s" in result.stderr
    assert 2 <= took < 10, f"took {took:.1f}s"
    assert "Timedout while waiting for deployment" in result.stderr


def test_default_deadline_is_replicas_times_120_seconds(new_app: NewApp, cluster: Cluster) -> None:
    app = new_app("deadline")
    app.extra_env["HYS_ROLLOUT_TIMEOUT"] = ""  # unset: HyScale's replicas x 120 s
    app.web(replicas=2)
    result = app.deploy("web")
    assert "Waiting for 2 replica(s) of web to be ready (up to 240s)" in result.stderr


def test_zero_replicas_deploy_without_waiting(new_app: NewApp, cluster: Cluster) -> None:
    app = new_app("zero")
    app.web(replicas=0)
    result = app.deploy("web")
    assert "Service has zero replicas" in result.stderr
    rows = status_rows(app.run("status:web"))
    assert rows["web"]["Status"] == "Not Running"
    assert "0 replicas" in rows["web"]["Message"]


def test_status_of_a_crashing_service_says_why(new_app: NewApp, cluster: Cluster) -> None:
    app = new_app("crashst")
    app.web()
    cluster.kubelet.script(crash_loop(exit_code=137), selector=WEB)
    app.deploy("web", check=False)

    rows = status_rows(app.run("status:web"))
    assert rows["web"]["Status"] == "Not Running"
    assert "Service startup commands failed with SIGKILL" in rows["web"]["Message"]


def test_fixing_the_spec_after_a_failed_deploy_converges(new_app: NewApp, cluster: Cluster) -> None:
    app = new_app("fixweb")
    app.web(props={"MODE": "broken"})
    cluster.kubelet.script(crash_loop(exit_code=2), selector=WEB)
    assert app.deploy("web", check=False).returncode != 0
    assert "deploy:web" in app.deploy("web", check=False).executed, "a failed deploy runs again"

    cluster.kubelet.clear_scripts()  # the fixed configuration starts
    app.edit_spec("web", props={"MODE": "fixed"})
    result = app.deploy("web")
    assert "deploy:web" in result.executed
    assert app.deploy_record("web")["ready"] is True
    assert app.deploy("web").executed == []


def test_fixing_a_crashing_stateful_service_converges(new_app: NewApp, cluster: Cluster) -> None:
    app = new_app("fixsts")
    app.stateful(props={"MODE": "broken"})
    cluster.kubelet.script(crash_loop(exit_code=2), selector={"hyscale.io/service-name": "store"})
    assert app.deploy("store", check=False).returncode != 0

    cluster.kubelet.clear_scripts()
    app.edit_spec("store", props={"MODE": "fixed"})
    result = app.deploy("store", check=False)
    assert result.returncode == 0, result.stderr
    pods = client.CoreV1Api(cluster.api_client()).list_namespaced_pod(app.namespace).items
    assert [p.status.container_statuses[0].ready for p in pods] == [True]
