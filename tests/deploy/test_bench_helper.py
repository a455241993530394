"""The benchmark helper (tests/deploy/bench.py) still measures what it claims, on a small app."""

from __future__ import annotations

from pathlib import Path

from tests.deploy.apps import sync_listings
from tests.deploy.bench import measure_noop_deploy


def test_noop_deploy_benchmark_helper(tmp_path: Path) -> None:
    numbers = measure_noop_deploy(tmp_path, services=2, repeat=1, jobs=2)
    assert numbers["executed"] == []
    assert numbers["writes"] == 0
    # one listing per kind of the app's objects, whatever the number of services
    assert numbers["read"] == sync_listings(numbers["namespace"], "configmaps", "secrets", "services",
                                            "apps/v1/deployments")
    assert numbers["reads_per_service"] == 2.0
    assert numbers["noop_deploy_s"] > numbers["version_s"] > 0
