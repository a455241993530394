"""``python -m tests.cluster`` in Docker mode: pods run as containers, and SIGTERM removes every
container the process started (and nothing else)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import docker
import pytest
from kubernetes import client, config

from tests.cluster.docker_helpers import ready, web
from tests.cluster.docker_kubelet import LABEL_POD_UID
from tests.cluster.docker_services import DockerServices
from tests.cluster.fixtures import create_pull_secret, start_standin_process

pytestmark = pytest.mark.docker


def test_docker_mode_runs_pods_and_cleans_up_on_sigterm(
    tmp_path: Path, docker_services: DockerServices, standin_web_image: str
) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    proc = start_standin_process(kubeconfig, "--audit-log", str(tmp_path / "audit.jsonl"),
                                 env={**os.environ, "HYSCALE_STANDIN_TIME_SCALE": "0.05"})
    engine = docker.from_env().api
    try:
        api = config.new_client_from_config(config_file=str(kubeconfig))
        core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
        core.create_namespace({"metadata": {"name": "cli"}})
        create_pull_secret(api, "cli", docker_services)
        body = web(standin_web_image)
        body["spec"]["replicas"] = 2
        apps.create_namespaced_deployment("cli", body)
        deadline = time.monotonic() + 30
        while len([p for p in core.list_namespaced_pod("cli").items if ready(p)]) < 2:
            assert time.monotonic() < deadline, "no 2 ready pods after 30 s"
            time.sleep(0.05)
        uids = [p.metadata.uid for p in core.list_namespaced_pod("cli").items]
        running = [engine.containers(filters={"label": f"{LABEL_POD_UID}={uid}"}) for uid in uids]
        assert all(len(found) == 2 for found in running)  # the sandbox and the app container
        api.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, proc.communicate()[1]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for uid in uids:
        assert engine.containers(all=True, filters={"label": f"{LABEL_POD_UID}={uid}"}) == []
    engine.close()
