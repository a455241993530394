"""What the build and push tests share besides their workspace (testing/workspace.py): apps named
for this test session (:func:`app_name`) with the login they are given (:func:`make_app`), a
user Dockerfile with build args and stages, and what runs in a container of a built image.

Every app of a test session is named ``<word>-<run id>-<n>``, so its repositories in the shared
registry and its images on the shared engine are its own.
"""

from __future__ import annotations

import http.client
import itertools
import secrets
import time
import urllib.request
from pathlib import Path
from typing import Any

from testing.registry import Registry
from testing.workspace import Workspace

RUN_ID = "h" + secrets.token_hex(3)
_numbers = itertools.count(1)

# A user Dockerfile with build args and three stages (the tests pick one with ``target``).
DOCKERFILE = """\
ARG BASE
FROM ${BASE} AS base
ARG GREETING=unset
RUN echo "$GREETING" > /greeting.txt
FROM base AS release
COPY . /ctx/
FROM release AS debug
RUN echo debug > /debug.txt
"""


def app_name(word: str) -> str:
    """A unique app name (HyScale: [a-z0-9-]{2,30}); ``word`` at most 18 characters."""
    assert len(word) <= 18, word
    return f"{word}-{RUN_ID}-{next(_numbers)}"


def make_app(root: Path, name: str, registry: Registry, *, registry_host: str | None = None,
             login: str | None = "good", extra_logins: tuple[str, ...] = ()) -> Workspace:
    """An empty app ``name`` under ``root``. ``login``: "good" (the registry's user and
    password), "wrong" (a wrong password) or None (no docker config at all), written for the
    registry, for ``registry_host`` and for every host in ``extra_logins``."""
    host = registry_host or registry.host
    logins = None
    if login is not None:
        password = registry.password if login == "good" else f"wrong-{registry.password[::-1]}"
        logins = dict.fromkeys((registry.host, host, *extra_logins), (registry.user, password))
    return Workspace.create(root, name, logins=logins, registry=registry, registry_host=host)


def run_in_image(docker_client: Any, image: str, script: str) -> str:
    """Output of ``sh -c SCRIPT`` in a container of ``image`` (the image's entrypoint replaced).

    Attached before the start, as ``docker run`` does: reading the logs after the container
    exits (the SDK's ``containers.run``) sometimes finds them still empty."""
    container = docker_client.containers.create(image, [script], entrypoint=["/bin/sh", "-c"])
    try:
        stream = container.attach(stdout=True, stderr=True, stream=True, logs=True)
        container.start()
        output = b"".join(stream)
        assert container.wait(timeout=60)["StatusCode"] == 0, output
        return output.decode()
    finally:
        container.remove(force=True)


def fetch_from_container(docker_client: Any, image: str, paths: list[str]) -> dict[str, str]:
    """Run ``image`` as built (its own entrypoint) with port 8080 published on a free
    127.0.0.1 port, and GET each path from it."""
    container = docker_client.containers.run(image, detach=True,
                                             ports={"8080/tcp": ("127.0.0.1", None)})
    try:
        deadline = time.monotonic() + 15
        port = None
        while port is None and time.monotonic() < deadline:
            container.reload()
            bound = (container.ports or {}).get("8080/tcp")
            port = bound[0]["HostPort"] if bound else None
            if port is None:
                time.sleep(0.05)
        assert port, f"port 8080 was not published: {container.attrs['State']}"
        answers: dict[str, str] = {}
        for path in paths:
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
                        answers[path] = response.read().decode()
                    break
                except (OSError, http.client.HTTPException):
                    if time.monotonic() > deadline:
                        raise AssertionError(f"no answer from the container: {container.logs()!r}") \
                            from None
                    time.sleep(0.05)
        return answers
    finally:
        container.remove(force=True)
