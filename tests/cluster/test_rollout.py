"""The rollout wait on the real cluster: it fails fast on states that will not heal, says why in
spec terms (with the container's last log lines), exits non-zero without a traceback; the
deadline and its override; zero replicas; status of failing services; fixing the spec converges;
a built service runs, answers and logs.

Every failure is produced for real by the kubelet, containerd, the kernel or the scheduler: the
test image exits (``TESTAPP_EXIT``) or fails its health check (``TESTAPP_HEALTHY=no``), a shell
over its memory limit is OOM-killed, an image tag is not in the test registry, a registry has no
login (or a wrong one) in the app's docker config, a registry does not answer, a start command is
not in the image, a list-form secret names a Secret (or a key) nobody made (read as env, or
mounted at ``secretsVolumePath``, which the kubelet retries for a while), and 64Gi of memory fits
on no node.

"Fails fast" is shown by the error not being the deadline's (the failing services get 300 s).
Services that must fail are given a health check when they could otherwise pass for ready: with
no readiness probe a container is ready the moment the kubelet sees it running, and one that dies
a few milliseconds later may be seen running first; with one it is not ready before its first
probe, 10 s in.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

import pytest
from kubernetes import client

from testing.cluster import Cluster, http_get
from testing.deploy_app import make_app, out_of_memory
from testing.registry import Registry, write_docker_config
from testing.testimage import UNHEALTHY, crash
from testing.workspace import SERVE_HTTP, DoitResult, NewApp, Workspace, assert_no_traceback, status_rows

FAILING_TIMEOUT = "300"  # seconds: far beyond how long any failure takes to show
CRASH_LOG = [f"line {n} of the crashing container" for n in range(1, 31)]
CASES = ("crash-loop", "bad-tag", "no-login", "no-registry", "oom-killed", "missing-key",
         "no-secret", "no-secret-volume", "bad-command", "failing-health-check", "liveness-killed",
         "unschedulable")
# A user's k8s snippet that makes the liveness probe give up after one failure, 10 s in: the
# kubelet stops the container, which the test image takes as an order to exit 0.
LIVENESS_SNIPPET = """\
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: liveness-killed
          livenessProbe:
            periodSeconds: 2
            failureThreshold: 1
"""


@dataclass(frozen=True)
class Failure:
    spec: dict[str, Any]  # Workspace.web arguments
    says: tuple[str, ...]  # fragments of the error ({svc}: the service, {ns}: its namespace)


def _failures(registry: Registry) -> dict[str, Failure]:
    """The failing services of one app, named after their failure."""
    alias = f"localhost:{registry.port}"  # the test registry under a name with no login
    return {
        "crash-loop": Failure(
            {"props": crash(3, "\\n".join(CRASH_LOG) + "\\n"), "health": True},
            ("Service startup commands failed with exit code 3",
             "fix: Please verify the startCommands in service spec or CMD in Dockerfile")),
        "bad-tag": Failure(
            {"tag": "no-such-tag"},
            (f"Invalid Image name or tag provided: the registry {registry.host} has no "
             "hyscale-tests/testapp:no-such-tag",
             "fix: Recheck the image name or tag in {svc} service spec")),
        "no-login": Failure(
            {"image": {"registry": alias, "name": "hyscale-tests/testapp", "tag": "1.0"}},
            (f"Incorrect registry credentials: {alias} refused to serve "
             f"{alias}/hyscale-tests/testapp:1.0 without a login, and the pod has no image pull "
             f"secret (there is no login for {alias} in ",
             f"fix: Run 'docker login {alias}'")),
        "no-registry": Failure(
            {"image": {"registry": "127.0.0.1:1", "name": "hyscale-tests/testapp", "tag": "1.0"}},
            ("Cannot reach the registry 127.0.0.1:1 to pull 127.0.0.1:1/hyscale-tests/testapp:1.0: "
             "dial tcp 127.0.0.1:1: connect: connection refused",
             "fix: Check image.registry in {svc} service spec")),
        "oom-killed": Failure(
            {**out_of_memory("200m"), "memory": "32Mi-64Mi", "health": True},
            ('Out of memory errors. Not enough memory to run "{svc}": it was stopped at its memory '
             "limit of 64Mi (memory: 32Mi-64Mi in the service spec)",
             "fix: Increase the memory limits in service spec and try redeploying",
             "eating 200m of memory")),
        "missing-key": Failure(  # the test creates the Secret, without that key
            {"secrets": ["DB_PASSWORD"]},
            ("The Secret {ns}-{svc} has no key DB_PASSWORD, which the service reads (secrets in "
             "the service spec)",
             "fix: Add DB_PASSWORD to the Secret {ns}-{svc} in namespace {ns}, or remove it from "
             "secrets in the service spec")),
        "no-secret": Failure(
            {"secrets": ["DB_PASSWORD"]},
            ("The Secret {ns}-{svc} does not exist and the service reads DB_PASSWORD from it",
             "fix: Create it (kubectl -n {ns} create secret generic {ns}-{svc} "
             "--from-literal=DB_PASSWORD=...), or write secrets as a map")),
        "no-secret-volume": Failure(  # mounted: the pod never starts, only events say why
            {"secrets": ["DB_PASSWORD"], "secretsVolumePath": "/etc/secrets"},
            ("cannot start: FailedMount (",
             'secret "{ns}-{svc}" not found; the Secret {ns}-{svc}, mounted at /etc/secrets '
             "(secrets and secretsVolumePath in the service spec), does not exist",
             "fix: Create it (kubectl -n {ns} create secret generic {ns}-{svc} "
             "--from-literal=DB_PASSWORD=...), or write secrets as a map")),
        "bad-command": Failure(
            {"startCommand": "/no/such/binary,--serve"},
            ('Service startup commands failed: exec: "/no/such/binary": stat /no/such/binary: '
             "no such file or directory (startCommand in the service spec)",)),
        "failing-health-check": Failure(
            {"props": UNHEALTHY, "health": True},
            ("Health check specified for service failed ",
             " times in succession (GET / on port 8080, ports[0].healthCheck): HTTP probe failed "
             "with statuscode: 404",
             "fix: Fix the health check path or port in the service spec")),
        "liveness-killed": Failure(  # LIVENESS_SNIPPET: the kubelet restarts it at once
            {"props": UNHEALTHY, "health": True, "k8sSnippets": ["liveness.yaml"]},
            ("Health check specified for service failed ",
             "(GET / on port 8080, ports[0].healthCheck): HTTP probe failed with statuscode: 404; "
             "the kubelet restarted the container for it",)),
        "unschedulable": Failure(
            {"memory": "64Gi"},
            ("Cannot accommodate new services as the cluster is full: no node has 64Gi of memory "
             "free for it (memory: 64Gi in the service spec)",
             "fix: Please contact your cluster administrator to add cluster capacity or deploy "
             "to a different cluster, or lower memory in the service spec")),
    }


@dataclass
class Failed:
    app: Workspace
    result: DoitResult
    failures: dict[str, Failure]
    registry: Registry
    wrong_login: Workspace  # an app whose docker config has a wrong password for the alias
    wrong_login_result: DoitResult

    def error(self, service: str, result: DoitResult | None = None) -> str:
        """The ``[ERROR]  Deployment of <service> failed`` block of the output."""
        lines = (result or self.result).stderr.splitlines()
        start = next((i for i, line in enumerate(lines)
                      if line.startswith(f"[ERROR]  Deployment of {service} failed")), None)
        assert start is not None, f"no error for {service} in:\n{(result or self.result).stderr}"
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")),
                   len(lines))
        return "\n".join(lines[start:end])


@pytest.fixture(scope="module")
def failed(shared_cluster: Cluster, registry: Registry,
           tmp_path_factory: pytest.TempPathFactory) -> Failed:
    """Every failure, each a service of one app deployed by one ``doit --continue -n N deploy``;
    beside it, at the same time, the app whose login is wrong."""
    failures = _failures(registry)
    assert tuple(failures) == CASES
    app = make_app(tmp_path_factory.mktemp("failures"), "fail", shared_cluster.kubeconfig,
                   registry=registry)
    app.timeout = 400
    app.extra_env["HYS_ROLLOUT_TIMEOUT"] = FAILING_TIMEOUT
    (app.folder / "liveness.yaml").write_text(LIVENESS_SNIPPET)
    for service, failure in failures.items():
        app.web(service, **failure.spec)
    # The Secret that missing-key reads, made by "the user" with another key.
    core = shared_cluster.core()
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=app.namespace)))
    shared_cluster.track(app.namespace)
    core.create_namespaced_secret(app.namespace, client.V1Secret(
        metadata=client.V1ObjectMeta(name=f"{app.namespace}-missing-key"),
        string_data={"DB_USER": "app"}))

    wrong = make_app(tmp_path_factory.mktemp("wrong-login"), "wronglogin",
                     shared_cluster.kubeconfig, registry=registry)
    shared_cluster.track(wrong.namespace)
    wrong.extra_env["HYS_ROLLOUT_TIMEOUT"] = FAILING_TIMEOUT
    alias = f"localhost:{registry.port}"
    write_docker_config(wrong.docker_config, {registry.host: (registry.user, registry.password),
                                              alias: (registry.user, "not-the-password")})
    wrong.web(image={"registry": alias, "name": "hyscale-tests/testapp", "tag": "1.0"})

    beside = wrong.start(f"app={wrong.name}", "deploy:web")
    try:
        result = app.run("--continue", "-n", str(len(failures)), "deploy", check=False)
    finally:
        wrong_result = wrong.wait(beside, check=False)
    return Failed(app, result, failures, registry, wrong, wrong_result)


def _fill(text: str, failed: Failed, service: str) -> str:
    return text.format(svc=service, ns=failed.app.namespace)


@pytest.mark.parametrize("case", CASES)
def test_failing_rollout_fails_fast_with_a_diagnosis(case: str, failed: Failed) -> None:
    assert failed.result.returncode != 0
    assert_no_traceback(failed.result)
    error = failed.error(case)
    for fragment in failed.failures[case].says:
        assert _fill(fragment, failed, case) in error, f"{_fill(fragment, failed, case)!r} not in:\n{error}"
    assert "Timedout" not in error, "the wait sat out its deadline"
    assert failed.app.deploy_record(case)["ready"] is False  # applied, recorded, not in sync


def test_a_wrong_registry_login_is_told_apart_from_a_missing_one(failed: Failed) -> None:
    result = failed.wrong_login_result
    alias = f"localhost:{failed.registry.port}"
    assert result.returncode != 0
    assert_no_traceback(result)
    error = failed.error("web", result)
    secret = alias.replace(":", "")
    assert (f"Incorrect registry credentials: {alias} refused the login in the image pull "
            f"secret {secret} to pull {alias}/hyscale-tests/testapp:1.0 (") in error, error
    assert f"fix: Check them at {failed.wrong_login.docker_config / 'config.json'} " \
           f"('docker login {alias}' again) and redeploy" in error, error
    assert "Timedout" not in error


def test_health_check_failures_are_counted_as_the_kubelet_reports_them(failed: Failed,
                                                                       shared_cluster: Cluster) -> None:
    """HyScale's probes (readiness and liveness: the same check) each leave an Unhealthy event
    per failure; the count said is theirs, at least the 3 that stop the wait."""
    error = failed.error("failing-health-check")
    said = re.search(r"failed (\d+) times in succession", error)
    assert said, error
    core = shared_cluster.core()
    pod = core.list_namespaced_pod(failed.app.namespace,
                                   label_selector="hyscale.io/service-name=failing-health-check").items[0]
    events = core.list_namespaced_event(
        failed.app.namespace, field_selector=f"involvedObject.name={pod.metadata.name}").items
    probes = {e.message.split(" probe failed")[0]: e.count for e in events if e.reason == "Unhealthy"}
    assert set(probes) <= {"Readiness", "Liveness"}, probes
    assert 3 <= int(said.group(1)) <= sum(probes.values()), (said.group(0), probes)


def test_crash_log_lines_are_shown_and_saved_to_deploy_log(failed: Failed) -> None:
    error = failed.error("crash-loop")
    shown = [line.strip() for line in error.splitlines() if "of the crashing container" in line]
    assert shown == CRASH_LOG[-15:], error
    assert "last lines of crash-loop's log:" in error
    assert failed.app.paths("crash-loop").deploy_log.read_text().splitlines() == CRASH_LOG


def test_status_of_failing_services_says_why(failed: Failed) -> None:
    """``app-status`` diagnoses what the pods do now (restarted since, backing off longer)."""
    rows = status_rows(failed.app.run("app-status"))
    assert set(rows) == set(failed.failures)
    assert {row["Status"] for row in rows.values()} == {"Not Running"}
    for service, fragment in (
            ("crash-loop", "Service startup commands failed with exit code 3. Please verify"),
            ("oom-killed", 'Out of memory errors. Not enough memory to run "oom-killed"'),
            ("bad-tag", "Invalid Image name or tag provided"),
            ("no-login", "Incorrect registry credentials"),
            ("no-secret", "does not exist and the service reads DB_PASSWORD from it"),
            ("no-secret-volume", "cannot start: FailedMount ("),
            ("failing-health-check", "Health check specified for service failed"),
            ("liveness-killed", "the kubelet restarted the container for it"),
            ("unschedulable", "Cannot accommodate new services as the cluster is full")):
        assert fragment in rows[service]["Message"], (service, rows[service]["Message"])


def test_rollout_timeout_comes_from_HYS_ROLLOUT_TIMEOUT(new_app: NewApp, cluster: Cluster) -> None:  # noqa: N802
    """A pod that runs but is never ready (its health check fails; its first probe comes 10 s
    after the start, after this deadline): nothing to give up on early, so the deadline ends it."""
    app = new_app("slow")
    app.extra_env["HYS_ROLLOUT_TIMEOUT"] = "3"
    app.web(props=UNHEALTHY, health=True)

    result = app.deploy("web", check=False)

    assert result.returncode != 0
    assert_no_traceback(result)
    assert "Waiting for 1 replica(s) of web to be ready (up to 3s)" in result.stderr
    assert "[ERROR]  Deployment of web failed: Timedout while waiting for deployment after 3s: " \
           "Deployment is still in progress, service is not yet ready: " in result.stderr
    assert "raise HYS_ROLLOUT_TIMEOUT (now 3 s)" in result.stderr
    assert app.deploy_record("web")["ready"] is False


def test_default_deadline_is_replicas_times_120_seconds(new_app: NewApp, cluster: Cluster) -> None:
    app = new_app("deadline")
    app.extra_env["HYS_ROLLOUT_TIMEOUT"] = ""  # unset: HyScale's replicas x 120 s
    app.web(replicas=2)

    result = app.deploy("web")

    assert "Waiting for 2 replica(s) of web to be ready (up to 240s)" in result.stderr
    assert app.deploy_record("web")["ready"] is True
    assert cluster.apps().read_namespaced_deployment("web", app.namespace).status.ready_replicas == 2
    assert "testapp listening on 8080 and 6379" in app.paths("web").deploy_log.read_text()


def test_zero_replicas_deploy_without_waiting(new_app: NewApp, cluster: Cluster) -> None:
    app = new_app("zero")
    app.web(replicas=0)
    result = app.deploy("web")
    assert "Service has zero replicas" in result.stderr
    rows = status_rows(app.run("status:web"))
    assert rows["web"]["Status"] == "Not Running"
    assert "0 replicas" in rows["web"]["Message"]


def test_the_wait_watches_each_workload_rather_than_polling_it(new_app: NewApp,
                                                              cluster: Cluster) -> None:
    """A watch from the version just read ends the moment the controller reports the pods ready
    (benchmarks/bench_peers.py measures how soon); a poll would notice it up to a period late."""
    app = new_app("watch")
    app.web(health=True)  # ready 10 s in at the earliest: the wait goes round a few times
    app.stateful()
    app.deploy()

    watched = {(r["resource"], urllib.parse.unquote(r["query"]))
               for r in cluster.audit() if r["action"] == "watch"}
    for resource, name in (("deployments", "web"), ("statefulsets", "store")):
        assert any(kind == resource and f"fieldSelector=metadata.name={name}" in query
                   and "resourceVersion=" in query for kind, query in watched), watched


def test_fixing_the_spec_after_a_failed_deploy_converges(new_app: NewApp, cluster: Cluster) -> None:
    app = new_app("fixweb")
    app.web(tag="no-such-tag")
    failed = app.deploy("web", check=False)
    assert failed.returncode != 0 and "Invalid Image name or tag provided" in failed.stderr
    assert "deploy:web" in app.deploy("web", check=False).executed, "a failed deploy runs again"

    # The patched Deployment's old pod still fails to pull until its new one is ready: the wait
    # judges the new ReplicaSet's pods only.
    app.edit_spec("web", image={**app.spec("web")["image"], "tag": "1.0"})
    result = app.deploy("web")
    assert "deploy:web" in result.executed
    assert app.deploy_record("web")["ready"] is True
    live = cluster.apps().read_namespaced_deployment("web", app.namespace)
    assert live.status.ready_replicas == 1
    assert live.spec.template.spec.containers[0].image.endswith("/hyscale-tests/testapp:1.0")
    assert app.deploy("web").executed == []


def test_fixing_a_failing_stateful_service_converges(new_app: NewApp, cluster: Cluster) -> None:
    """A StatefulSet never replaces a pod that is not ready by itself (the tool deletes it after
    the patch, HyScale §7.2); the fix is the one the diagnosis suggests."""
    app = new_app("fixsts")
    app.stateful()
    app.edit_spec("store", secrets=["DB_PASSWORD"])  # list form: a Secret nobody made
    failed = app.deploy("store", check=False)
    assert failed.returncode != 0
    assert f"The Secret {app.namespace}-store does not exist" in failed.stderr
    assert "or write secrets as a map (DB_PASSWORD: value): the tool creates that Secret" in \
        failed.stderr

    app.edit_spec("store", secrets={"DB_PASSWORD": "s3cret-fix"})
    result = app.deploy("store", check=False)

    assert result.returncode == 0, result.stderr
    live = cluster.apps().read_namespaced_stateful_set("store", app.namespace)
    pods = cluster.core().list_namespaced_pod(
        app.namespace, label_selector="hyscale.io/service-name=store").items
    current = [p for p in pods if not p.metadata.deletion_timestamp]
    assert [p.metadata.labels["controller-revision-hash"] for p in current] == \
        [live.status.update_revision]
    assert [p.status.container_statuses[0].ready for p in current] == [True]
    assert app.deploy("store").executed == []


@pytest.mark.docker
def test_a_built_service_runs_answers_and_logs(new_app: NewApp, cluster: Cluster) -> None:
    """Built and pushed by the real engine, pulled by containerd with the app's pull secret, run:
    the run commands see the props, the artifact is served, the log is the container's."""
    app = new_app("builtweb", built=True)
    app.web(built=True, props={"GREETING": "hello"},
            run=f'echo "serving on 8080 ($GREETING)"\n{SERVE_HTTP}')

    result = app.deploy("web")

    assert "deploy:web" in result.executed
    pod = cluster.core().list_namespaced_pod(
        app.namespace, label_selector="hyscale.io/service-name=web").items[0]
    assert http_get(f"http://{pod.status.pod_ip}:8080/index.html") == \
        f"<h1>web of {app.name}</h1>\n", "the built artifact answers"
    assert "serving on 8080 (hello)" in app.run("logs:web").stdout
    assert "serving on 8080 (hello)" in app.paths("web").deploy_log.read_text()
    assert app.deploy("web").executed == []

