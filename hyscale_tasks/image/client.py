"""The Docker engine connection and the translation of its failures into user errors.

The docker SDK raises its own errors for API answers, but a daemon that is gone or dies mid-
stream surfaces as ``requests`` or ``urllib3`` exceptions (test-infra §3): all of them become a
:class:`DockerError` saying what failed and what to check.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import docker
import requests
import urllib3

from hyscale_tasks.image.streams import DockerError

API_TIMEOUT = 600  # seconds; a build or a push streams for as long as it takes


def connect() -> docker.DockerClient:
    """A client for the engine at ``DOCKER_HOST`` (or the default socket)."""
    with docker_errors("connect to the Docker engine"):
        return docker.from_env(timeout=API_TIMEOUT)


def _engine() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


@contextmanager
def docker_errors(doing: str, refused: str | None = None, fix: str | None = None) -> Iterator[None]:
    """Turn every way a Docker call can fail into one :class:`DockerError`; ``refused`` and
    ``fix``, when given, are what to say when the engine answers with an error."""
    try:
        yield
    except docker.errors.APIError as exc:
        said = exc.explanation or exc
        message = f"{refused}: {said}" if refused else f"Docker could not {doing}: {said}"
        raise DockerError(message, fix or None) from None
    except docker.errors.DockerException as exc:
        raise DockerError(
            f"Docker could not {doing}: {exc}",
            f"start the Docker engine (dockerd) or point DOCKER_HOST at it; tried {_engine()}.") \
            from None
    except (requests.exceptions.ConnectionError, urllib3.exceptions.ProtocolError,
            urllib3.exceptions.HTTPError) as exc:
        raise DockerError(
            f"Docker engine at {_engine()} went away while trying to {doing}: "
            f"{_first_line(exc)}", "check that dockerd is running, then run the same command "
            "again; finished stages are not repeated.") from None


def _first_line(exc: Any) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
