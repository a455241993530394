"""Dev-loop benchmark: save-to-ready of ``hyscale dev`` against the floor, the same stages by hand.

Two copies of one built web service (busybox httpd serving its artifact on / and its GREETING
prop on /greeting.txt), each in an app and namespace of its own on the test cluster:

* ``loop``: ``hyscale dev`` runs on it; a sample is a save (a prop, or the artifact), then the
  time until the loop prints ``web: ready``, and until the new content comes back through the
  port the loop forwards;
* ``floor``: nothing watches it; a sample is the same save, then ``doit deploy:web`` run at
  once, as a developer would by hand, until it exits (the rollout is over: what the loop's
  ``ready`` line means too).

The two alternate, sample by sample, so a busy moment of the shared machine hits both. Times are
from the save (the file's modification time) to when the benchmark saw the event. Needs the test
services (scripts/test-services start DIR .venv/bin/python; . DIR/env):

    .venv/bin/python -m benchmarks.bench_dev [RUNS]
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from benchmarks.timing import as_users_run_it
from testing.cluster import Cluster, KubeEnv
from testing.deploy_app import make_app
from testing.registry import Registry
from testing.signals import restore_ctrl_c
from testing.workspace import Workspace

REPO = Path(__file__).resolve().parents[1]
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
SERVE = ("mkdir -p /www\necho \"$GREETING\" > /www/greeting.txt\ntrap 'exit 0' TERM\n"
         "httpd -f -p 8080 -h /www &\nwait")
READY = re.compile(r"^\[INFO\]  web: ready in (\d+\.\d) s after the save")
URL = re.compile(r"^\[INFO\]  web: (http://127\.0\.0\.1:\d+) forwards")


class Loop:
    """``hyscale dev`` on ``app``, its stderr lines collected as they come."""

    def __init__(self, app: Workspace) -> None:
        self.lines: list[tuple[float, str]] = []
        self.seen = threading.Condition()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hyscale_tasks.cli", "dev", "-f", str(app.folder / "web.hspec"),
             "-a", app.name, "-n", app.namespace], cwd=REPO, env=app.env(), text=True,
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self.seen:
                self.lines.append((time.time(), line.rstrip("\n")))
                self.seen.notify_all()

    def wait(self, pattern: re.Pattern[str], since: int, timeout: float = 300) -> tuple[int, float,
                                                                                          re.Match[str]]:
        deadline = time.monotonic() + timeout
        with self.seen:
            while True:
                for index in range(since, len(self.lines)):
                    found = pattern.search(self.lines[index][1])
                    if found:
                        return index, self.lines[index][0], found
                if time.monotonic() > deadline or self.process.poll() is not None:
                    text = "\n".join(line for _, line in self.lines)
                    raise SystemExit(f"no {pattern.pattern!r} from the loop:\n{text}")
                self.seen.wait(1)

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGINT)
        self.process.wait(120)


def served(url: str, wanted: str, timeout: float = 120) -> float:
    """When ``url`` first answers ``wanted`` (polled every 50 ms)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                if response.read().decode().strip() == wanted:
                    return time.time()
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"{url} never answered {wanted!r}")


def save(path: Path, text: str) -> float:
    path.write_text(text)
    return path.stat().st_mtime


def edit(app: Workspace, kind: str, value: str) -> float:
    """Save a prop or the artifact; the save's time. First a random pause of up to a second: the
    kubelet notices a started container at its relist, once a second, and the sample before
    ended when a pod was seen, so without it every save would come at the same moment of that
    second, and each side's start-up time, not chance, would decide whether its pod is seen a
    second later (benchmarks/RESULTS.md, session 7)."""
    time.sleep(random.random())
    if kind == "prop":
        spec = app.spec("web")
        spec["props"] = {"GREETING": value}
        app.write_spec(spec)
        return (app.folder / "web.hspec").stat().st_mtime
    return save(app.folder / "web-site" / "index.html", value + "\n")


def main() -> None:
    restore_ctrl_c()  # so that stop() ends the loop, also when this runs in the background
    # both sides' runs inherit this process's environment (Workspace.env)
    users = as_users_run_it(dict(os.environ))
    os.environ.clear()
    os.environ.update(users)
    env = KubeEnv.from_env()
    registry = Registry.from_env()
    root = Path(tempfile.mkdtemp(prefix="bench-dev-"))
    cluster = Cluster(env, root)
    apps = {side: make_app(root / side, f"bdev{side[:2]}", env.tool_kubeconfig, registry=registry)
            for side in ("loop", "floor")}
    for app in apps.values():
        cluster.track(app.namespace)
        app.web(built=True, props={"GREETING": "start"}, run=SERVE)
        app.timeout = 600
    try:
        apps["floor"].deploy("web")
        loop = Loop(apps["loop"])
        index, _, _ = loop.wait(re.compile(r"^\[INFO\]  web: ready in"), 0, timeout=600)
        url = loop.wait(URL, 0)[2][1]
        figures: dict[tuple[str, str, str], list[float]] = {}
        for run in range(RUNS):
            for kind in ("prop", "artifact"):
                value = f"{kind}-{run}-{time.time_ns()}"
                # the loop: save -> "ready" line -> the new content through the forward
                saved = edit(apps["loop"], kind, value)
                index, at, found = loop.wait(READY, index + 1)
                path = "/greeting.txt" if kind == "prop" else "/"
                through = served(url + path, value)
                figures.setdefault(("loop", kind, "ready"), []).append(at - saved)
                figures.setdefault(("loop", kind, "reported"), []).append(float(found[1]))
                figures.setdefault(("loop", kind, "served"), []).append(through - saved)
                # the floor: the same save, then doit deploy:web at once
                saved = edit(apps["floor"], kind, value)
                apps["floor"].deploy("web")
                figures.setdefault(("floor", kind, "ready"), []).append(time.time() - saved)
        loop.stop()
    finally:
        cluster.close()
        shutil.rmtree(root, ignore_errors=True)  # the two apps' folders and homes
    print(f"save-to-ready, median of {RUNS} (seconds), one built service on the test cluster:")
    print(f"{'change':<10}{'floor (doit by hand)':>22}{'loop: ready line':>18}"
          f"{'loop: served':>14}{'loop/floor':>12}")
    for kind in ("prop", "artifact"):
        floor = statistics.median(figures[("floor", kind, "ready")])
        ready = statistics.median(figures[("loop", kind, "ready")])
        serving = statistics.median(figures[("loop", kind, "served")])
        print(f"{kind:<10}{floor:>22.2f}{ready:>18.2f}{serving:>14.2f}{ready / floor:>12.2f}")
    print("raw:", {"/".join(key): [round(v, 2) for v in values] for key, values in figures.items()})


if __name__ == "__main__":
    main()
