"""Benchmark helper: a no-op ``doit deploy`` of N services on the real test cluster, next to
``doit --version`` (the floor: starting Python and doit), with what the no-op sent to the API
server.

Needs the services that scripts/test starts (the HYSCALE_TEST_* variables: the registry with the
prebuilt test image, the cluster, its audit log). To run it by hand::

    scripts/test-services start /tmp/hyscale-bench .venv/bin/python
    . /tmp/hyscale-bench/env
    .venv/bin/python -m testing.bench --services 20 --repeat 5 [--built] [--jobs 8]
    scripts/test-services stop /tmp/hyscale-bench

(with services already running, e.g. a developer's ``/tmp/dev/env``, only the middle two lines).
It prints one JSON document::

    {"services": 20, "version_s": 0.15, "noop_deploy_s": 1.1, "ratio": 7.3,
     "writes": 0, "reads": 4, "reads_per_service": 0.2, "read": ["GET /api/v1/...", ...],
     "executed": [], "first_deploy_s": 9.8, ...}

Times are medians of ``--repeat`` runs. ``writes``/``reads`` are the HTTP requests of the tool's
user (``hyscale-tool``) in the API server's audit log, about the app's namespace, during the
*last* no-op run. Services are the prebuilt test image by default (nothing to build: the deploy
stage alone); ``--built`` builds and pushes each image first, and the no-op then also makes one
registry read per service, which the cluster's audit log does not see. The first deploy runs the
pods for real (no health checks: a no-op deploy reads the same either way). The app's namespace
is deleted at the end. For benchmarks/: ``measure_noop_deploy(workdir, services=20)`` returns the
dict.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from testing.audit import reads, writes
from testing.cluster import Cluster, ClusterMissingError, KubeEnv
from testing.deploy_app import make_app
from testing.images import remove_images_named
from testing.registry import Registry, ServicesMissingError
from testing.workspace import Workspace

T = TypeVar("T")


def _timed(run: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def doit_version_seconds(repeat: int = 5, env: dict[str, str] | None = None) -> float:
    """Median wall time of ``python -m doit --version`` (what every doit command pays)."""
    times = []
    for _ in range(repeat):
        took, _ = _timed(lambda: subprocess.run([sys.executable, "-m", "doit", "--version"],
                                                check=True, capture_output=True, env=env))
        times.append(took)
    return statistics.median(times)


def write_services(app: Workspace, count: int, built: bool = False) -> list[str]:
    names = [f"svc{index:02d}" for index in range(1, count + 1)]
    for name in names:
        app.web(name, built=built, props={"INDEX": name}, secrets={"TOKEN": f"bench-{name}"})
    return names


@contextmanager
def bench_app(workdir: Path, services: int, built: bool = False, jobs: int = 8,
              word: str = "bench") -> Iterator[tuple[Workspace, Cluster, float]]:
    """An app of ``services`` services deployed to the test cluster (``doit -n jobs deploy``):
    (the app, a view of the cluster that tracks its namespace, the first deploy's seconds).
    The namespace (and with ``built`` the images) go afterwards."""
    env = KubeEnv.from_env()
    cluster = Cluster(env, workdir)
    app = make_app(workdir / word, word, cluster.kubeconfig, registry=Registry.from_env())
    cluster.track(app.namespace)
    app.timeout = max(app.timeout, 60.0 + 10.0 * services)  # the first deploy runs every pod
    try:
        write_services(app, services, built)
        first, _ = _timed(lambda: app.deploy(extra=["-n", str(jobs)]))
        yield app, cluster, first
    finally:
        cluster.close()
        if built:
            remove_images_named(app.name)


def measure_noop(app: Workspace, cluster: Cluster, repeat: int = 5,
                 extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    """Time ``repeat`` no-op ``doit deploy`` runs of the deployed ``app`` and ``doit --version``
    (both with ``extra_env`` on top of the environment); the requests of the last no-op run."""
    saved = dict(app.extra_env)
    app.extra_env.update(extra_env or {})
    try:
        noop_times: list[float] = []
        version_times: list[float] = []
        seen: list[dict[str, Any]] = []
        executed: list[str] = []
        # alternated, so that a busy moment of the machine weighs on both sides of the ratio
        for _ in range(repeat):
            version_times.append(doit_version_seconds(1, app.env()))
            mark = len(cluster.audit())
            took, result = _timed(lambda: app.deploy())
            noop_times.append(took)
            seen = cluster.audit()[mark:]
            executed = result.executed
        version = statistics.median(version_times)
    finally:
        app.extra_env.clear()
        app.extra_env.update(saved)
    noop = statistics.median(noop_times)
    services = len(list(app.folder.glob("*.hspec")))
    return {
        "services": services, "repeat": repeat,
        "version_s": round(version, 3), "noop_deploy_s": round(noop, 3),
        "noop_deploy_min_s": round(min(noop_times), 3),
        "ratio": round(noop / version, 2),
        "per_service_ms": round(1000 * (noop - version) / services, 1),
        "writes": len(writes(seen)), "reads": len(reads(seen)), "read": sorted(reads(seen)),
        "namespace": app.namespace,
        "reads_per_service": round(len(reads(seen)) / services, 2),
        "executed": executed,
    }


def measure_noop_deploy(workdir: Path, services: int = 20, repeat: int = 5, built: bool = False,
                        jobs: int = 8) -> dict[str, Any]:
    """Deploy ``services`` services once (:func:`bench_app`), then :func:`measure_noop`."""
    with bench_app(workdir, services, built, jobs) as (app, cluster, first):
        return {**measure_noop(app, cluster, repeat), "built": built,
                "first_deploy_s": round(first, 2), "first_deploy_jobs": jobs}


def missing_services() -> str | None:
    """Why a benchmark cannot run (the test services are not up), or None."""
    try:
        KubeEnv.from_env()
        Registry.from_env()
    except (ClusterMissingError, ServicesMissingError) as exc:
        return str(exc)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m testing.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=8, help="doit -n for the first (real) deploy")
    parser.add_argument("--built", action="store_true", help="build and push real images first")
    args = parser.parse_args(argv)
    missing = missing_services()
    if missing:
        print(f"{missing}\n(see python -m testing.bench --help)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-deploy-") as folder:
        numbers = measure_noop_deploy(Path(folder), args.services, args.repeat, args.built, args.jobs)
    print(json.dumps(numbers, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
