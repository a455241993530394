from __future__ import annotations

from pathlib import Path

import pytest

from tests.doit_runner import Workspace


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    apps = tmp_path / "apps"
    apps.mkdir()
    docker_config = tmp_path / "docker-config"
    docker_config.mkdir()
    return Workspace(apps, tmp_path / "hyscale-home", docker_config)
