"""Deploy benchmarks against the Kubernetes stand-in (scripted kubelet: pods are ready at once).

1. A no-op `doit deploy` of 20 services vs `doit --version`, with the writes and reads it sent
   (counted from the stand-in's audit log). Goal: <= 5x, zero writes, <= 1 read per service.
   Measured in this venv, and again as users install the tool (the test extras' kubernetes-
   validate made unimportable: the kubernetes client imports it, and jsonschema, when present).
2. The tool's own apply of the same 20 services' manifests (a fresh process: start-up, kubeconfig,
   discovery, create) vs `kubectl apply -f` of them, without image builds or waiting for pods.

Usage: .venv/bin/python -m benchmarks.bench_deploy
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.timing import median_seconds
from tests.cluster.fixtures import start_standin_process

REPO = Path(__file__).resolve().parents[1]
SERVICES = 20
SPEC = """\
name: svc{i}
image:
  registry: registry.example.com
  name: bench/svc{i}
  tag: "1.0"
replicas: 1
memory: 32Mi-64Mi
props:
  GREETING: hello {i}
secrets:
  TOKEN: token-{i}
ports:
  - port: 8080/http
    healthCheck:
      httpPath: /
"""
APPLY = """\
import sys, yaml
from pathlib import Path
from hyscale_tasks.cluster.apply import apply_service, dynamic, ensure_namespace
from hyscale_tasks.cluster.client import connect
client = dynamic(connect())
ensure_namespace(client, sys.argv[2], lambda _: None)
for folder in sorted(Path(sys.argv[1]).iterdir()):
    manifests = [yaml.safe_load(p.read_text()) for p in sorted(folder.glob("*.yaml"))]
    apply_service(client, sys.argv[2], manifests, [], lambda _: None)
"""


def _audit(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        app = tmp / "apps" / "bench"
        app.mkdir(parents=True)
        for i in range(SERVICES):
            (app / f"svc{i}.hspec").write_text(SPEC.format(i=i))
        kubeconfig, audit = tmp / "kubeconfig", tmp / "audit.jsonl"
        standin = start_standin_process(kubeconfig, "--no-docker", "--audit-log", str(audit),
                                        quiet=True)
        try:
            env = {**os.environ, "HYSCALE_HOME": str(tmp / "home"), "KUBECONFIG": str(kubeconfig),
                   "DOCKER_CONFIG": str(tmp / "docker")}
            doit = [sys.executable, "-m", "doit", "-f", str(REPO / "dodo.py"),
                    f"apps={tmp / 'apps'}", "app=bench"]
            subprocess.run([*doit, "deploy"], cwd=REPO, env=env, check=True, capture_output=True)
            before = len(_audit(audit))
            subprocess.run([*doit, "deploy"], cwd=REPO, env=env, check=True, capture_output=True)
            requests = _audit(audit)[before:]
            writes = sum(1 for r in requests if r["verb"] in ("POST", "PUT", "PATCH", "DELETE"))
            noop = median_seconds([*doit, "deploy"], env, 5)
            version = median_seconds([sys.executable, "-m", "doit", "--version"], env, 7)
            # As users install the tool: without the test extra kubernetes-validate, which
            # `kubernetes.dynamic` imports (with jsonschema, ~50 ms) whenever it is importable.
            hidden = tmp / "without-test-extras"
            hidden.mkdir()
            (hidden / "kubernetes_validate.py").write_text(
                'raise ImportError("a test extra, absent from a user install")\n')
            user_env = {**env, "PYTHONPATH": str(hidden)}
            noop_user = median_seconds([*doit, "deploy"], user_env, 5)
            version_user = median_seconds([sys.executable, "-m", "doit", "--version"], user_env, 7)

            manifests = tmp / "manifests"
            for service in (tmp / "home" / "apps" / "bench").iterdir():
                if service.is_dir():
                    shutil.copytree(service / "generated-files" / "manifests",
                                    manifests / service.name)
            tool = median_seconds([sys.executable, "-c", APPLY, str(manifests), "tool-ns"], env, 1)
            namespace = tmp / "namespace.yaml"
            namespace.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: kubectl-ns}\n")
            subprocess.run(["kubectl", "apply", "--validate=false", "-f", str(namespace)], env=env,
                           check=True, capture_output=True)
            kubectl = median_seconds(["kubectl", "apply", "--validate=false", "-n", "kubectl-ns", "-R",
                               "-f", str(manifests)], env, 1)
        finally:
            standin.terminate()
            standin.wait(timeout=30)
    print(f"1. no-op doit deploy, {SERVICES} services: {noop * 1000:.0f} ms vs doit --version "
          f"{version * 1000:.0f} ms -> {noop / version:.2f}x (goal <= 5x); "
          f"{writes} writes, {len(requests)} requests = {len(requests) / SERVICES:.1f} per service")
    print(f"   the same as users install it (no test extras): {noop_user * 1000:.0f} ms vs "
          f"{version_user * 1000:.0f} ms -> {noop_user / version_user:.2f}x (goal <= 5x)")
    print(f"2. first apply of {SERVICES} services' manifests: tool {tool * 1000:.0f} ms vs "
          f"kubectl apply {kubectl * 1000:.0f} ms -> {tool / kubectl:.2f}x")


if __name__ == "__main__":
    main()
