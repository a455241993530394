"""Fresh-runner benchmark: an unchanged 10-service app on a new CI runner, up to and including push.

A fresh runner is an empty HYSCALE_HOME, a Docker engine with an empty data-root (a second
dockerd, started per run and not timed) and a new copy of the app (new mtimes). The app was
pushed once before. Timed, in one run and alternating so that a busy moment hits every side:

* ``doit -n 4 -P process push`` as the tool does it now: the registry has the image for each
  service's inputs, so nothing is built or pushed;
* the same with ``HYS_REUSE_REGISTRY_IMAGES=false``: what the tool did before (a full rebuild on
  the empty engine, a push of every new digest);
* ``doit --version``.

Also printed: the Docker API calls and the registry requests (uploads apart) of one fresh run,
counted by relays at the network boundary. Needs root (a second dockerd) and the test services:
    W=$(mktemp -d); scripts/test-services start $W .venv/bin/python; . $W/env
    .venv/bin/python -m benchmarks.bench_fresh            # up to the push
    .venv/bin/python -m benchmarks.bench_fresh --deploy   # up to the deploy, on the test cluster

With ``--deploy`` every run is ``doit -n 4 -P process deploy`` into one namespace of the test
cluster (deleted afterwards): the fresh run finds the cluster already running its manifests and
writes nothing (counted in the API server's audit log), the full rebuild pins new digests and
rolls every service's pod.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.bench_image import SPEC
from benchmarks.timing import median_seconds
from testing.cluster import Cluster, KubeEnv
from testing.dockerd import SecondDaemon
from testing.registry import Registry, write_docker_config
from testing.relay import Relay

REPO = Path(__file__).resolve().parents[1]
SERVICES = 10
RUNS = 3
UPLOADS = ("PUT", "POST", "PATCH", "DELETE")
NAMESPACE = f"bench-fresh-{os.getpid()}"


STAGE = "deploy" if "--deploy" in sys.argv[1:] else "push"


def _doit(apps: Path) -> list[str]:
    return [sys.executable, "-m", "doit", "-f", str(REPO / "dodo.py"), f"apps={apps}", "app=bench",
            f"namespace={NAMESPACE}", "-n", "4", "-P", "process", STAGE]


def _fresh_copy(source: Path, root: Path) -> Path:
    """The app folder copied with new mtimes, as a fresh checkout has them; the apps folder."""
    apps = root / "apps"
    shutil.copytree(source, apps / "bench", copy_function=shutil.copy)
    when = time.time() + 60
    for path in [apps, *apps.rglob("*")]:
        os.utime(path, (when, when))
    return apps


def _fresh_run(source: Path, root: Path, env: dict[str, str], reuse: bool) -> tuple[float, int]:
    """One push on a fresh runner (a new engine, HOME and copy): its seconds, the engine's start
    apart, and the Docker API calls it made (through a relay, as in the tests)."""
    apps = _fresh_copy(source, root)
    with SecondDaemon() as engine:
        engine.start()
        with Relay.unix(engine.socket) as relay:
            run_env = {**env, "HYSCALE_HOME": str(root / "home"), "DOCKER_HOST": relay.url,
                       "HYS_REUSE_REGISTRY_IMAGES": "true" if reuse else "false"}
            start = time.perf_counter()
            subprocess.run(_doit(apps), cwd=REPO, env=run_env, check=True, capture_output=True)
            return time.perf_counter() - start, len(relay.snapshot()[1])


def main() -> None:
    registry = Registry.from_env()
    host, port = registry.host.rsplit(":", 1)
    run = str(os.getpid())
    with tempfile.TemporaryDirectory() as folder, Relay.tcp(host, int(port)) as registry_relay, \
            _cluster(Path(folder)) as cluster:
        tmp = Path(folder)
        source = tmp / "source" / "bench"
        source.mkdir(parents=True)
        for i in range(SERVICES):
            (source / f"svc{i}.hspec").write_text(SPEC.format(
                i=i, registry=registry_relay.host, run=f"fresh{run}", stack=registry.stack_image))
        config = write_docker_config(tmp / "docker", {
            registry_relay.host: (registry.user, registry.password),
            registry.host: (registry.user, registry.password)})
        env = {**os.environ, "DOCKER_CONFIG": str(config)}
        env.pop("DOCKER_HOST", None)
        if cluster is not None:
            env["KUBECONFIG"] = str(cluster.kubeconfig)
        subprocess.run(_doit(source.parent), cwd=REPO, check=True, capture_output=True,
                       env={**env, "HYSCALE_HOME": str(tmp / "first-home")})  # pushed once before

        registry_relay.reset()
        mark = len(cluster.audit()) if cluster is not None else 0
        first, docker_calls = _fresh_run(source, tmp / "counted", env, reuse=True)
        cluster_writes = [r for r in cluster.audit()[mark:] if r["verb"] in UPLOADS
                          and "dryRun" not in r["query"]] if cluster is not None else []
        fresh = [first]
        requests = registry_relay.snapshot()[1]
        uploads = [r for r in requests if r.method in UPLOADS]
        rebuild: list[float] = []
        version: list[float] = []
        for n in range(RUNS):
            rebuild.append(_fresh_run(source, tmp / f"rebuild{n}", env, reuse=False)[0])
            fresh.append(_fresh_run(source, tmp / f"fresh{n}", env, reuse=True)[0])
            version.append(median_seconds([sys.executable, "-m", "doit", "--version"], env, 3))
    fresh_s, rebuild_s, version_s = (statistics.median(x) for x in (fresh, rebuild, version))
    print(f"fresh runner, unchanged {SERVICES}-service app, doit -n 4 {STAGE} "
          f"(median of {len(fresh)}):")
    print(f"  now (registry has these inputs): {fresh_s * 1000:.0f} ms = {fresh_s / version_s:.1f}x "
          f"doit --version ({version_s * 1000:.0f} ms)")
    print(f"  full rebuild (HYS_REUSE_REGISTRY_IMAGES=false, median of {len(rebuild)}): "
          f"{rebuild_s * 1000:.0f} ms = {rebuild_s / version_s:.1f}x doit --version; "
          f"now / rebuild = {fresh_s / rebuild_s:.3f} ({rebuild_s / fresh_s:.1f}x faster)")
    print(f"  one fresh run: {docker_calls} Docker API calls, {len(requests)} registry requests "
          f"({len(requests) / SERVICES:.1f} per service), {len(uploads)} uploads"
          + (f", {len(cluster_writes)} API writes" if STAGE == "deploy" else ""))


@contextmanager
def _cluster(workdir: Path) -> Iterator[Cluster | None]:
    """With --deploy, the test cluster (the namespace is deleted afterwards)."""
    if STAGE != "deploy":
        yield None
        return
    cluster = Cluster(KubeEnv.from_env(), workdir)
    cluster.track(NAMESPACE)
    try:
        yield cluster
    finally:
        cluster.close()


if __name__ == "__main__":
    main()
