"""Fixtures of the build and push tests: apps, the Docker client, counting relays.

Every app of a test session is named with the session's run id (testing/image_app.py); at the
end of the session the images named with it are removed from the engine (the registry is the
session's own).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testing.image_app import RUN_ID, app_name, make_app
from testing.registry import Registry
from testing.relay import Relay, docker_engine_socket
from testing.workspace import NewApp, Workspace


@pytest.fixture(scope="session")
def docker_client(registry: Registry) -> Iterator[Any]:
    """The tests' own client of the real engine (never through a relay)."""
    import docker

    try:
        client = docker.from_env(timeout=300)
        client.ping()
    except docker.errors.DockerException as exc:
        pytest.fail(f"No Docker engine answers ({exc}).\n  fix: run the tests through scripts/test, "
                    "which starts dockerd and the registry.", pytrace=False)
    yield client
    # By reference (tags, and repo@digest left on re-pushed images), never by id: an image
    # docker's cache shares with anything else keeps that other name.
    for image in client.images.list():
        for reference in image.tags + image.attrs.get("RepoDigests", []):
            if RUN_ID in reference:
                with contextlib.suppress(docker.errors.APIError):
                    client.images.remove(reference)
    client.close()


@pytest.fixture
def new_app(tmp_path: Path, registry: Registry, docker_client: Any) -> NewApp:
    """``new_app(word, registry_host=None, login="good"|"wrong"|None)``: an empty app."""

    def factory(word: str, **options: Any) -> Workspace:
        return make_app(tmp_path / word, app_name(word), registry, **options)

    return factory


@pytest.fixture
def docker_relay() -> Iterator[Relay]:
    """A unix socket relay in front of the engine: ``DOCKER_HOST=<relay>.url`` counts calls."""
    with Relay.unix(docker_engine_socket()) as relay:
        yield relay


@pytest.fixture
def registry_relay(registry: Registry) -> Iterator[Relay]:
    """A loopback port in front of the registry: name it as image.registry to count reads."""
    with Relay.tcp("127.0.0.1", registry.port) as relay:
        yield relay
