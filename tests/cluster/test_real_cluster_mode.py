"""Item 6: with HYSCALE_TEST_KUBECONFIG set, the same tests run against "a real cluster" and only
what needs the scripted kubelet skips. The "real cluster" here is a stand-in in another process,
reached only through its kubeconfig, so the fixture cannot take any in-process shortcut."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.cluster.fixtures import start_standin_process

REPO = Path(__file__).resolve().parents[2]
SUBSET = [
    "tests/cluster/test_crud.py::test_create_twice_is_409_already_exists",
    "tests/cluster/test_workloads.py::test_deployment_creates_a_replicaset_and_ready_pods",
    "tests/cluster/test_kubelet_scripted.py::test_crash_loop_back_off_with_last_state",
    "tests/cluster/test_audit.py::test_every_request_is_audited",
]


def test_the_fixture_runs_tests_against_a_kubeconfig(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    server = start_standin_process(kubeconfig, "--no-docker", quiet=True, timeout=20)
    try:
        env = dict(os.environ, HYSCALE_TEST_KUBECONFIG=str(kubeconfig))
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", *SUBSET],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        server.terminate()
        server.wait(10)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed, 2 skipped" in done.stdout, done.stdout
