"""Benchmark helper: a no-op ``doit deploy`` of N services against the stand-in, next to
``doit --version`` (the floor: starting Python and doit), with what the no-op did on the wire.

    .venv/bin/python -m tests.deploy.bench --services 20 --repeat 5 [--built] [--jobs 8]

prints one JSON document::

    {"services": 20, "version_s": 0.15, "noop_deploy_s": 1.1, "ratio": 7.3,
     "writes": 0, "reads": 4, "reads_per_service": 0.2, "read": ["GET /api/v1/...", ...],
     "executed": [], "first_deploy_s": 9.8, ...}

Times are medians of ``--repeat`` runs. ``writes``/``reads`` count the stand-in's audit records
(HTTP requests) of the *last* no-op run. Services are prebuilt images by default (no Docker, the
deploy stage alone); ``--built`` builds and pushes each image first (needs the HYSCALE_TEST_*
services), and the no-op then also makes one registry read per service, which the cluster audit
does not see. For benchmarks/: ``measure_noop_deploy(workdir, services=20)`` returns the dict.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.cluster.fixtures import start_standin
from tests.deploy.apps import DeployApp, make_app, reads, remove_images_named, writes


def _timed(run: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def doit_version_seconds(repeat: int = 5) -> float:
    """Median wall time of ``python -m doit --version`` (what every doit command pays)."""
    times = []
    for _ in range(repeat):
        took, _ = _timed(lambda: subprocess.run([sys.executable, "-m", "doit", "--version"],
                                                check=True, capture_output=True))
        times.append(took)
    return statistics.median(times)


def write_services(app: DeployApp, count: int, built: bool = False) -> list[str]:
    names = [f"svc{index:02d}" for index in range(1, count + 1)]
    for name in names:
        app.web(name, built=built, props={"INDEX": name}, secrets={"TOKEN": f"bench-{name}"})
    return names


def measure_noop_deploy(workdir: Path, services: int = 20, repeat: int = 5, built: bool = False,
                        jobs: int = 8) -> dict[str, Any]:
    """Deploy ``services`` services once (``doit -n jobs deploy``), then time ``repeat`` no-op
    ``doit deploy`` runs and ``doit --version``; the stand-in runs in this process."""
    registry = None
    if built:
        from tests.infra.registry import Registry

        registry = Registry.from_env()
    standin, kubeconfig = start_standin(workdir)
    app = make_app(workdir / "bench", "bench", kubeconfig, registry=registry)
    try:
        write_services(app, services, built)
        first, _ = _timed(lambda: app.deploy(extra=["-n", str(jobs)]))
        noop_times, seen, executed = [], [], []
        for _ in range(repeat):
            mark = len(standin.audit.records())
            took, result = _timed(lambda: app.deploy())
            noop_times.append(took)
            seen = standin.audit.records()[mark:]
            executed = result.executed
        version = doit_version_seconds(repeat)
        noop = statistics.median(noop_times)
        return {
            "services": services, "built": built, "repeat": repeat,
            "version_s": round(version, 3), "noop_deploy_s": round(noop, 3),
            "noop_deploy_min_s": round(min(noop_times), 3),
            "ratio": round(noop / version, 1),
            "per_service_ms": round(1000 * (noop - version) / services, 1),
            "writes": len(writes(seen)), "reads": len(reads(seen)), "read": sorted(reads(seen)),
            "namespace": app.namespace,
            "reads_per_service": round(len(reads(seen)) / services, 2),
            "executed": executed, "first_deploy_s": round(first, 2), "first_deploy_jobs": jobs,
        }
    finally:
        standin.stop()
        if built:
            remove_images_named(app.name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.deploy.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=8, help="doit -n for the first (real) deploy")
    parser.add_argument("--built", action="store_true", help="build and push real images first")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-deploy-") as folder:
        numbers = measure_noop_deploy(Path(folder), args.services, args.repeat, args.built, args.jobs)
    print(json.dumps(numbers, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
