"""``python -m tests.cluster``: foreground process, kubeconfig written once serving, audit log,
clean exit on SIGTERM; without ``--no-docker`` and without a Docker engine, a clear refusal. The
Docker mode itself: ``test_docker_kubelet_cli.py``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from kubernetes import client, config

from tests.cluster.fixtures import start_standin_process

REPO = Path(__file__).resolve().parents[2]


def test_standalone_process_serves_audits_and_stops(tmp_path: Path) -> None:
    kubeconfig, audit = tmp_path / "kube" / "config", tmp_path / "audit.jsonl"
    proc = start_standin_process(kubeconfig, "--audit-log", str(audit), "--no-docker", timeout=20)
    try:
        api = config.new_client_from_config(config_file=str(kubeconfig))
        core = client.CoreV1Api(api)
        core.create_namespace({"metadata": {"name": "cli"}})
        core.create_namespaced_config_map("cli", {"metadata": {"name": "c"}})
        assert [c.metadata.name for c in core.list_namespaced_config_map("cli").items] == ["c"]
        api.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    calls = [(r["verb"], r["path"]) for r in records]
    assert ("POST", "/api/v1/namespaces") in calls
    assert ("POST", "/api/v1/namespaces/cli/configmaps") in calls
    assert ("GET", "/api/v1/namespaces/cli/configmaps") in calls
    assert all(r["code"] in (200, 201) for r in records)


def test_without_no_docker_and_without_a_docker_engine_it_refuses(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.cluster", "--kubeconfig", str(tmp_path / "kc")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"},
    )
    assert done.returncode == 2
    assert "Docker engine" in done.stderr and "--no-docker" in done.stderr
    assert not (tmp_path / "kc").exists()
