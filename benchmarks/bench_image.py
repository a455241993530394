"""Build/push benchmark: the no-op check of the build and push chain for 10 built services.

Prints, from one run: the median no-op `doit push` time vs `doit --version`, and the Docker API
calls and registry requests the no-op made (counted by relays at the network boundary).
Goal: 0 Docker calls and at most 1 registry read per service.

Needs the Docker engine and the test registry: run it through the test services, e.g.
    W=$(mktemp -d); scripts/test-services start $W .venv/bin/python; . $W/env
    .venv/bin/python -m benchmarks.bench_image
    scripts/test-services stop $W
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.timing import median_seconds
from testing.registry import Registry, write_docker_config
from testing.relay import Relay, docker_engine_socket

REPO = Path(__file__).resolve().parents[1]
SERVICES = 10
SPEC = """\
name: svc{i}
image:
  registry: {registry}
  name: bench-{run}/svc{i}
  tag: "1"
  buildSpec:
    stackImage: {stack}
    configCommands: echo service {i} > /www/index.html
    runCommands: exec httpd -f -p 8080 -h /www
ports:
  - port: 8080/http
"""


def main() -> None:
    registry = Registry.from_env()
    host, port = registry.host.rsplit(":", 1)
    run = str(os.getpid())
    with tempfile.TemporaryDirectory() as folder, Relay.tcp(host, int(port)) as registry_relay, \
            Relay.unix(docker_engine_socket()) as docker_relay:
        tmp = Path(folder)
        app = tmp / "apps" / "bench"
        app.mkdir(parents=True)
        for i in range(SERVICES):
            (app / f"svc{i}.hspec").write_text(SPEC.format(
                i=i, registry=registry_relay.host, run=run, stack=registry.stack_image))
        config = write_docker_config(tmp / "docker", {
            registry_relay.host: (registry.user, registry.password),
            registry.host: (registry.user, registry.password)})
        env = {**os.environ, "HYSCALE_HOME": str(tmp / "home"), "DOCKER_CONFIG": str(config),
               "DOCKER_HOST": docker_relay.url}
        doit = [sys.executable, "-m", "doit", "-f", str(REPO / "dodo.py"),
                f"apps={tmp / 'apps'}", "app=bench"]
        subprocess.run([*doit, "-n", "2", "push"], cwd=REPO, env=env, check=True,
                       capture_output=True)
        docker_relay.reset()
        registry_relay.reset()
        noop = median_seconds([*doit, "push"], env, 1)
        docker_calls = len(docker_relay.snapshot()[1])
        registry_reads = len(registry_relay.snapshot()[1])
        noop = min(noop, median_seconds([*doit, "push"], env, 6))
        version = median_seconds([sys.executable, "-m", "doit", "--version"], env, 7)
    print(f"no-op build+push check, {SERVICES} services: {noop * 1000:.0f} ms vs doit --version "
          f"{version * 1000:.0f} ms -> {noop / version:.2f}x")
    print(f"  calls in one no-op run: {docker_calls} Docker API, {registry_reads} registry "
          f"({registry_reads / SERVICES:.1f} per service; goal 0 and <= 1)")


if __name__ == "__main__":
    main()
