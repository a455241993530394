"""The cluster is asked before a deploy builds anything, at no cost to a no-op, on the real
cluster with an image built on the Docker engine.

``deploy:<svc>`` depends on ``cluster:<svc>``, whose up-to-date check reads the cluster once: the
first read the deploy's in-sync check makes anyway (kept for it), so a no-op run makes exactly the
requests it made before. A cluster that stops answering fails the deploy before the build of a
changed artifact; ``build:<svc>`` alone needs no cluster. (Without a cluster at all, and from the
``hyscale`` command: tests/cli/test_cluster_check.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testing.audit import TOOL_USER, reads, record_of, writes
from testing.cluster import Cluster
from testing.endpoints import down_kubeconfig
from testing.workspace import NewApp

pytestmark = pytest.mark.docker


def _offset(cluster: Cluster) -> int:
    assert cluster.env.audit_log is not None, "this test counts requests in the audit log"
    cluster.audit()  # every request made so far is in the file
    return cluster.env.audit_log.stat().st_size


def _tool_requests(cluster: Cluster, since: int) -> list[str]:
    """Every request of the tool since the offset, about any namespace or none (API discovery
    too, which the tests' usual audit reading leaves out)."""
    cluster.audit()
    assert cluster.env.audit_log is not None
    with cluster.env.audit_log.open("rb") as log:
        log.seek(since)
        events = [json.loads(line) for line in log.read().splitlines() if line.strip()]
    done = [record_of(event) for event in events if event.get("stage") == "ResponseComplete"]
    return sorted(f"{record['verb']} {record['path']}" for record in done
                  if record["user"] == TOOL_USER)


def test_the_cluster_is_asked_before_the_build_and_a_noop_asks_nothing_more(
        new_app: NewApp, cluster: Cluster, tmp_path: Path) -> None:
    app = new_app("clfirst", built=True)
    app.web(built=True)

    first = app.deploy("web")
    assert "cluster:web" in first.skipped, "the cluster answered: nothing to run"
    assert {"build:web", "push:web", "deploy:web"} <= set(first.executed)

    since, mark = _offset(cluster), len(cluster.audit())
    noop = app.deploy("web")
    assert noop.executed == [], noop.stdout
    seen = cluster.audit()[mark:]
    assert writes(seen) == []
    # the in-sync check's reads (one listing per kind, tests/cluster/test_sync.py), and not one
    # request more, in the namespace or outside it: the check's read is the first of them
    assert _tool_requests(cluster, since) == sorted(reads(seen))
    assert len(set(reads(seen))) == len(reads(seen))

    # The cluster stops answering; the artifact changes: the deploy fails before the build.
    app.kubeconfig = down_kubeconfig(tmp_path / "down-kubeconfig")
    (app.folder / "web-site" / "index.html").write_text("<h1>changed</h1>\n")
    built = app.paths("web").build_record.read_bytes()
    failed = app.deploy("web", check=False)
    assert failed.returncode != 0
    assert failed.executed == ["cluster:web"], failed.stdout
    assert "[ERROR]  Failed to connect to cluster (kube context down in " in failed.stderr
    assert "nothing was built or deployed" in failed.stderr
    assert "Traceback" not in failed.stdout + failed.stderr
    assert app.paths("web").build_record.read_bytes() == built, "nothing was built"

    # A build alone needs no cluster.
    build = app.run("build:web")
    assert "build:web" in build.executed and "cluster:web" not in build.executed + build.skipped
    assert app.paths("web").build_record.read_bytes() != built
