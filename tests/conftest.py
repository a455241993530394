from __future__ import annotations

from pathlib import Path

import pytest

from tests.doit_runner import Workspace
from tests.infra.registry import Registry, ServicesMissingError, write_docker_config


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    apps = tmp_path / "apps"
    apps.mkdir()
    docker_config = tmp_path / "docker-config"
    docker_config.mkdir()
    return Workspace(apps, tmp_path / "hyscale-home", docker_config)


# -- Docker engine and registry (started by scripts/test; see tests/infra/registry.py) ---------
@pytest.fixture(scope="session")
def registry() -> Registry:
    """The authenticated test registry and its stack image, from the HYSCALE_TEST_* variables.

    Without them the test FAILS (it does not skip): run the tests through scripts/test, which
    starts Docker and the registry."""
    try:
        return Registry.from_env()
    except ServicesMissingError as exc:
        missing = str(exc)
    pytest.fail(missing, pytrace=False)


@pytest.fixture
def docker_login(tmp_path: Path, registry: Registry) -> Path:
    """A DOCKER_CONFIG folder in tmp whose config.json has an ``auths`` entry for the registry."""
    return write_docker_config(tmp_path / "docker-login",
                               {registry.host: (registry.user, registry.password)})
