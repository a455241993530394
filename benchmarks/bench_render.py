"""Render-pipeline benchmarks. Each prints a ratio measured in this one run (machines are noisy).

1. manifest generation for 200 services vs YAML-dumping the same output    (goal <= 3x)
2. `doit list` for 50 services vs `doit --version`                          (goal <= 3x)
3. a no-op render (`doit app=...`, nothing changed) of 50 services vs `doit --version` (goal <= 4x)

Usage: .venv/bin/python -m benchmarks.bench_render
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from benchmarks.genapp import write_app
from hyscale_tasks.manifests.render import dump_yaml, render_record
from hyscale_tasks.spec.records import make_records

REPO = Path(__file__).resolve().parents[1]


def best_of(runs: int, work: Callable[[], object]) -> float:
    """Median wall time of ``runs`` calls: robust to the odd slow run on a busy machine."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_generation(tmp: Path, count: int = 200) -> tuple[float, float]:
    folder = write_app(tmp / "apps", "gen", count)
    records = [make_records(folder / f"svc{i}.hspec", None, "gen").deploy for i in range(count)]
    bodies = [m.body for record in records for m in render_record(record, None)[0]]

    def generate() -> None:
        for record in records:
            for manifest in render_record(record, None)[0]:
                manifest.to_yaml()

    def dump_only() -> None:
        for body in bodies:
            dump_yaml(body)

    return best_of(7, generate), best_of(7, dump_only)


def _doit(env: dict[str, str], *args: str) -> Callable[[], object]:
    dodo = [] if args == ("--version",) else ["-f", str(REPO / "dodo.py")]
    command = [sys.executable, "-m", "doit", *dodo, *args]

    def run() -> None:
        subprocess.run(command, cwd=REPO, env=env, check=True, capture_output=True)
    return run


def bench_doit(tmp: Path, count: int = 50) -> tuple[float, float, float]:
    write_app(tmp / "apps", "fifty", count)
    env = {**os.environ, "HYSCALE_HOME": str(tmp / "home"), "DOCKER_CONFIG": str(tmp / "docker")}
    app = [f"apps={tmp / 'apps'}", "app=fifty"]
    _doit(env, *app)()  # the first, full render
    version = best_of(9, _doit(env, "--version"))
    listing = best_of(9, _doit(env, "list", "--all", *app))
    noop = best_of(9, _doit(env, *app))
    return version, listing, noop


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        generate, dump = bench_generation(tmp)
        version, listing, noop = bench_doit(tmp)
    print(f"yaml: {'libyaml' if hasattr(yaml, 'CSafeDumper') else 'pure python'}")
    print(f"1. generation, 200 services: {generate * 1000:.0f} ms vs yaml dump {dump * 1000:.0f} ms"
          f" -> {generate / dump:.2f}x (goal <= 3x)")
    print(f"2. doit list, 50 services: {listing * 1000:.0f} ms vs doit --version "
          f"{version * 1000:.0f} ms -> {listing / version:.2f}x (goal <= 3x)")
    print(f"3. no-op render, 50 services: {noop * 1000:.0f} ms vs doit --version "
          f"{version * 1000:.0f} ms -> {noop / version:.2f}x (goal <= 4x)")


if __name__ == "__main__":
    main()
