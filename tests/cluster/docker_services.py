"""What the Docker-mode tests need from ``scripts/test-services``: the registry login, the stack
image, and a small private test image built from it with the docker SDK.

The test image is busybox httpd on port 8080 serving ``/www`` (``/health`` answers 200), printing
``web starting`` first; tests vary its behaviour with ``command``/``args`` (crash, memory hog)
rather than with more images. It is pushed to the authenticated registry under a per-session tag
and its local tag is removed, so a pod really pulls it with its pull secret.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import docker
import docker.errors

ENV = (
    "HYSCALE_TEST_REGISTRY",
    "HYSCALE_TEST_REGISTRY_USER",
    "HYSCALE_TEST_REGISTRY_PASSWORD",
    "HYSCALE_TEST_STACK_IMAGE",
)
MISSING = (
    "The Docker kubelet's tests need the Docker engine and the test registry: {missing} not set.\n"
    "  fix: run them through scripts/test (it starts dockerd unless one answers, an authenticated "
    "registry on 127.0.0.1 and the stack image, and exports HYSCALE_TEST_*); or by hand: "
    "W=$(mktemp -d); scripts/test-services start $W .venv/bin/python; . $W/env"
)
WEB_DOCKERFILE = """FROM {base}
RUN mkdir -p /www && echo ok > /www/health && echo hello > /www/index.html
EXPOSE 8080
CMD ["sh", "-c", "echo web starting; exec httpd -f -v -p 8080 -h /www"]
"""


@dataclass(frozen=True)
class DockerServices:
    registry: str  # 127.0.0.1:PORT
    user: str
    password: str
    stack_image: str

    @classmethod
    def from_env(cls) -> DockerServices | str:
        """The services, or the message to fail with."""
        missing = [name for name in ENV if not os.environ.get(name)]
        if missing:
            return MISSING.format(missing=", ".join(missing))
        return cls(*(os.environ[name] for name in ENV))

    @property
    def login(self) -> dict[str, str]:
        return {"username": self.user, "password": self.password}


def _context(dockerfile: str) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        data = dockerfile.encode()
        entry = tarfile.TarInfo("Dockerfile")
        entry.size = len(data)
        tar.addfile(entry, io.BytesIO(data))
    buffer.seek(0)
    return buffer


def _check(stream: Iterator[dict[str, object]], what: str) -> None:
    for event in stream:
        if isinstance(event, dict) and event.get("error"):
            raise RuntimeError(f"{what}: {event['error']}")


@contextmanager
def web_image(services: DockerServices) -> Iterator[str]:
    """Build and push the test image; yields its reference; removes its local tag afterwards."""
    api = docker.from_env().api
    repository = f"{services.registry}/standin-tests/web"
    tag = secrets.token_hex(4)
    image = f"{repository}:{tag}"
    _check(
        api.pull(services.stack_image, auth_config=services.login, stream=True, decode=True),
        "pull the stack image",
    )
    _check(
        api.build(
            fileobj=_context(WEB_DOCKERFILE.format(base=services.stack_image)),
            custom_context=True,
            tag=image,
            rm=True,
            decode=True,
        ),
        f"build {image}",
    )
    _check(
        api.push(repository, tag=tag, auth_config=services.login, stream=True, decode=True), f"push {image}"
    )
    api.remove_image(image)  # the pods must pull it, with their pull secret
    try:
        yield image
    finally:
        with contextlib.suppress(docker.errors.APIError):  # never pulled, or still in use
            api.remove_image(image)
        api.close()
