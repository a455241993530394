"""Deploy benchmarks on the real test cluster (single-node Kubernetes, kubelet on containerd).

1. A no-op `doit deploy` of 20 services vs `doit --version`, with the writes and reads it sent
   (the requests of the tool's user, ``hyscale-tool``, in the API server's audit log). Goal:
   <= 5x, zero writes, <= 1 read per service. Measured in this venv, and again as users install
   the tool (the test extras' kubernetes-validate made unimportable: the kubernetes client
   imports it, and jsonschema, when present). The 20 services (the prebuilt test image, props,
   map secrets, a port) are deployed first, pods and all (testing/bench.py).
2. The tool's own apply of the same 20 services' manifests (a fresh process: start-up,
   kubeconfig, discovery, create) vs `kubectl apply -R -f` of them, each into a fresh namespace,
   as the same user, without image builds or waiting for pods.

It needs the services the tests use (the HYSCALE_TEST_* variables: registry, test image, cluster,
audit log), and `kubectl` ($KUBECTL, else on PATH):

    scripts/test-services start /tmp/hyscale-bench .venv/bin/python
    . /tmp/hyscale-bench/env
    .venv/bin/python -m benchmarks.bench_deploy
    scripts/test-services stop /tmp/hyscale-bench

Every namespace it makes is deleted at the end.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.timing import median_seconds
from testing.bench import bench_app, measure_noop, missing_services

SERVICES = 20
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


def main() -> int:
    missing = missing_services()
    if missing:
        print(f"{missing}\n(see the docstring of benchmarks/bench_deploy.py)", file=sys.stderr)
        return 2
    kubectl = os.environ.get("KUBECTL") or shutil.which("kubectl") or "kubectl"
    with tempfile.TemporaryDirectory() as folder, \
            bench_app(Path(folder), SERVICES, jobs=8) as (app, cluster, first):
        tmp = Path(folder)
        noop = measure_noop(app, cluster, 5)
        # As users install the tool: without the test extra kubernetes-validate, which
        # `kubernetes.dynamic` imports (with jsonschema, ~50 ms) whenever it is importable.
        hidden = tmp / "without-test-extras"
        hidden.mkdir()
        (hidden / "kubernetes_validate.py").write_text(
            'raise ImportError("a test extra, absent from a user install")\n')
        user = measure_noop(app, cluster, 5, {"PYTHONPATH": str(hidden)})

        manifests = tmp / "manifests"
        for service in sorted(app.folder.glob("*.hspec")):
            shutil.copytree(app.paths(service.stem).manifests, manifests / service.stem)
        env = app.env()  # the tool's kubeconfig: both applies are user hyscale-tool's
        suffix = secrets.token_hex(3)
        tool_ns = cluster.track(f"bench-tool-{suffix}")
        kubectl_ns = cluster.track(f"bench-kubectl-{suffix}")
        tool = median_seconds([sys.executable, "-c", APPLY, str(manifests), tool_ns], env, 1)
        subprocess.run([kubectl, "create", "namespace", kubectl_ns], env=env, check=True,
                       capture_output=True)
        kubectl_s = median_seconds([kubectl, "apply", "-n", kubectl_ns, "-R", "-f", str(manifests)],
                                   env, 1)
    print(f"first deploy of {SERVICES} services (doit -n 8, pods running): {first:.1f} s")
    for title, numbers in (("", noop), ("   the same as users install it (no test extras): ", user)):
        line = (f"{numbers['noop_deploy_s'] * 1000:.0f} ms vs doit --version "
                f"{numbers['version_s'] * 1000:.0f} ms -> {numbers['ratio']:.2f}x (goal <= 5x); "
                f"{numbers['writes']} writes, {numbers['reads']} reads = "
                f"{numbers['reads_per_service']} per service")
        print(f"{title or f'1. no-op doit deploy, {SERVICES} services: '}{line}")
    print("   reads of the last no-op run: " + ", ".join(noop["read"]))
    print(f"2. first apply of {SERVICES} services' manifests: tool {tool * 1000:.0f} ms vs "
          f"kubectl apply {kubectl_s * 1000:.0f} ms -> {tool / kubectl_s:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
