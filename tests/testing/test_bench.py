"""The benchmark helper (testing/bench.py) still measures what it claims, on a small app
deployed to the real cluster: a no-op run executes nothing, writes nothing, and its reads (from
the API server's audit log) are one listing per kind of the app's objects."""

from __future__ import annotations

from pathlib import Path

from kubernetes.client import ApiException

from hyscale_tasks.spec.names import normalize
from testing.audit import sync_listings
from testing.bench import measure_noop_deploy
from testing.cluster import Cluster
from testing.registry import Registry


def test_noop_deploy_benchmark_helper(tmp_path: Path, cluster: Cluster, registry: Registry) -> None:
    numbers = measure_noop_deploy(tmp_path, services=2, repeat=1, jobs=2)
    assert numbers["executed"] == []
    assert numbers["writes"] == 0
    # one listing per kind of the app's objects, whatever the number of services
    assert numbers["read"] == sync_listings(numbers["namespace"], "configmaps", "secrets", "services",
                                            "apps/v1/deployments",
                                            pull_secret=normalize(registry.host))
    assert numbers["reads_per_service"] == 2.5
    assert numbers["noop_deploy_s"] > 0 and numbers["version_s"] > 0
    # and it leaves nothing behind: its namespace is on its way out
    try:
        phase = cluster.core().read_namespace(numbers["namespace"]).status.phase
    except ApiException as exc:
        assert exc.status == 404, exc
    else:
        assert phase == "Terminating"
