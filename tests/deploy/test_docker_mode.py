"""Deploys whose pods really run: the stand-in with its Docker kubelet (``docker_cluster``) pulls
the pushed image with the image-pull Secret, runs it, probes it, and reports what happened.

The Docker kubelet is being written (tests/cluster/docker_kubelet/); until tests/cluster/fixtures.py
provides ``docker_cluster``, these tests skip and say so (tests/deploy/conftest.py). Like every
built-image test they need the services, and fail without them.
"""

from __future__ import annotations

import time
import urllib.request
from typing import Any

import pytest
from kubernetes import client

from tests.deploy.apps import assert_no_traceback, status_rows
from tests.deploy.conftest import NewApp

pytestmark = pytest.mark.docker


def test_built_service_runs_becomes_ready_and_logs(new_app: NewApp, docker_cluster: Any,
                                                   registry: Any) -> None:
    app = new_app("dockerweb", built=True, target=docker_cluster)
    app.web(built=True, props={"GREETING": "hello"},
            run='echo "serving on 8080 ($GREETING)"\nexec httpd -f -p 8080 -h /www')
    app.stateful("store", built=True)

    result = app.deploy()

    assert "Service address : web." in result.stderr
    rows = status_rows(app.run("app-status"))
    assert {name: row["Status"] for name, row in rows.items()} == {"store": "Running", "web": "Running"}
    assert "serving on 8080 (hello)" in app.run("logs:web").stdout
    pod = client.CoreV1Api(docker_cluster.api_client()).list_namespaced_pod(
        app.namespace, label_selector="hyscale.io/service-name=web").items[0].metadata.name
    with urllib.request.urlopen(docker_cluster.url(app.namespace, pod, 8080, "/index.html"),
                                timeout=10) as answer:
        assert answer.read().decode() == f"<h1>web of {app.name}</h1>\n", "the built artifact answers"
    assert "serving on 8080 (hello)" in app.paths("web").deploy_log.read_text()
    assert app.deploy().executed == []


FAILING = {  # service: (run commands, more spec, what the error must say)
    "crash": ("echo 'cannot start: /etc/crash.conf is missing'\nexit 3", {},
              ["Service startup commands failed with exit code 3", "/etc/crash.conf is missing"]),
    "oom": ("echo eating memory\nhead -c 200m /dev/zero | tail", {"memory": "16Mi"},
            ['Out of memory errors. Not enough memory to run "oom"']),
    "nosecret": ("exec httpd -f -p 8080 -h /www", {"secrets": ["DB_PASSWORD"]},  # nobody made it
                 ["does not exist"]),
}


def test_failing_containers_fail_their_deploys_with_a_diagnosis(new_app: NewApp, docker_cluster: Any,
                                                                registry: Any) -> None:
    app = new_app("dockerfail", built=True, target=docker_cluster)
    app.extra_env["HYS_ROLLOUT_TIMEOUT"] = "90"
    for service, (run, spec, _) in FAILING.items():
        # With a health check (which nothing answers: its first probe comes 10 s in) a pod is
        # never ready, so the wait must find the failure; without one, a container counts as
        # ready the moment it starts, and one that dies a moment later can pass for a success.
        app.web(service, built=True, run=run, health=True, **spec)

    started = time.monotonic()
    result = app.run("--continue", "-n", str(len(FAILING)), "deploy", check=False)

    assert result.returncode != 0
    assert_no_traceback(result)
    assert time.monotonic() - started < 60, "each wait should stop at the first failure"
    for service, (_, _, says) in FAILING.items():
        assert f"Deployment of {service} failed" in result.stderr, result.stderr
        for fragment in says:
            assert fragment in result.stderr, result.stderr
