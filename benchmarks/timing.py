"""Timing whole commands: the median of several runs, robust to the odd slow one."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def as_users_run_it(env: dict[str, str]) -> dict[str, str]:
    """``env`` for timing the tool as an installed copy runs: the package's bytecode compiled
    (pip compiles it on install) and no PYTHONDONTWRITEBYTECODE. Our build machines set that
    variable, and with it every module edited since its last ``.pyc`` is compiled again on
    every run: about 40 ms of a no-op deploy after an edit, which no user pays."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "hyscale_tasks")], check=True)
    return {key: value for key, value in env.items() if key != "PYTHONDONTWRITEBYTECODE"}


def median_seconds(command: list[str], env: dict[str, str], runs: int) -> float:
    times = []
    env = as_users_run_it(env)
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=REPO, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)
