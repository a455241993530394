"""A synthetic app of N services, each using most spec features, for the benchmarks."""

from __future__ import annotations

from pathlib import Path

SERVICE = """\
name: svc{i}
image:
  registry: registry.example.com
  name: bench/svc{i}
  tag: "1.{i}"
  buildSpec:
    stackImage: busybox:1.36
    artifacts:
      - name: app
        source: files/app{i}.txt
        destination: /app/
    configCommands: echo configure {i}
    runCommands: exec httpd -f -p 8080
startCommand: "/bin/sh,-c,exec httpd -f -p 8080"
replicas:
  min: 1
  max: 4
  cpuThreshold: 60%
memory: 64Mi-256Mi
cpu: 100m-500m
{volumes}props:
  GREETING: hello {i}
  PEER: endpoint(svc{peer})
  LIMIT: "{i}"
propsVolumePath: /etc/svc
secrets:
  TOKEN: secret-{i}
external: false
ports:
  - port: 8080/http
    healthCheck:
      httpPath: /health
  - port: 9090/tcp
agents:
  - name: logs
    image: busybox:1.36
    props:
      TARGET: svc{i}
allowTraffic:
  - ports: [8080]
    from: [svc{peer}]
"""

VOLUMES = """\
volumes:
  - name: data
    path: /data
    size: 1Gi
"""


def write_app(apps: Path, app: str, count: int) -> Path:
    folder = apps / app
    (folder / "files").mkdir(parents=True, exist_ok=True)
    for i in range(count):
        volumes = VOLUMES if i % 3 == 0 else ""
        text = SERVICE.format(i=i, peer=(i + 1) % count, volumes=volumes)
        (folder / f"svc{i}.hspec").write_text(text)
        (folder / "files" / f"app{i}.txt").write_text(f"artifact {i}\n")
    return folder
