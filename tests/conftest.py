from __future__ import annotations

from pathlib import Path

import pytest

from testing.registry import Registry, ServicesMissingError
from testing.signals import restore_ctrl_c
from testing.workspace import Workspace


def pytest_configure(config: pytest.Config) -> None:
    """Ctrl-C as in a terminal for every process the tests start (testing/signals.py)."""
    restore_ctrl_c()


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """An apps folder and a HYSCALE_HOME in tmp, with no docker login and no cluster."""
    return Workspace.create(tmp_path)


# -- Docker engine and registry (started by scripts/test; see testing/registry.py) ---------
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
