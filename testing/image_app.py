"""Apps for the build and push tests: specs that point at the test registry and stack image.

An :class:`ImageApp` is a :class:`~testing.workspace.Workspace` (its own apps folder,
HYSCALE_HOME and DOCKER_CONFIG) holding one app, with writers for the four kinds of image a
service can have (generated Dockerfile, user Dockerfile, stack image as is, prebuilt image) and
readers for what the stages wrote. It runs the real ``doit`` CLI, in a session of its own (so a
test can SIGINT the whole doit process group), with extra environment such as ``DOCKER_HOST``.

Every app of a test session is named ``<word>-<run id>-<n>`` (:func:`app_name`), so its
repositories in the shared registry and its images on the shared engine are its own.
"""

from __future__ import annotations

import http.client
import itertools
import secrets
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

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


@dataclass
class ImageApp(Workspace):
    registry: Registry | None = None
    registry_host: str = ""  # where the specs push: the registry, or a relay in front of it

    # -- where things are ------------------------------------------------------------------
    def repository(self, service: str) -> str:
        return f"{self.name}/{service}"

    def deployed_image(self, service: str) -> str:
        """The container image the rendered Deployment names."""
        deployment = yaml.safe_load((self.paths(service).manifests / "deployment.yaml").read_text())
        return str(deployment["spec"]["template"]["spec"]["containers"][0]["image"])

    def local_tag(self, service: str, tag: str = "1.0") -> str:
        return f"hyscale.io/{self.name}/{service}:{tag}"

    # -- writing services ------------------------------------------------------------------
    def _image(self, service: str, tag: str) -> dict[str, Any]:
        return {"registry": self.registry_host, "name": self.repository(service), "tag": tag}

    def _write(self, service: str, image: dict[str, Any]) -> Path:
        return self.write_spec({"name": service, "image": image, "ports": [{"port": "8080/http"}]})

    def generated(self, service: str, content: str, *, tag: str = "1.0",
                  config_commands: str = "echo configured-by-hyscale > /www/configured.txt",
                  run_commands: str | None = "exec httpd -f -p 8080 -h /www") -> Path:
        """A buildSpec service: the stack image, the artifact ``<service>-site/index.html``
        (holding ``content``) copied to /www/, configure and run commands."""
        assert self.registry is not None
        artifact = self.folder / f"{service}-site" / "index.html"
        artifact.parent.mkdir(parents=True, exist_ok=True)
        artifact.write_text(content)
        build: dict[str, Any] = {
            "stackImage": self.registry.stack_image,
            "artifacts": [{"name": "site", "source": f"{service}-site/index.html",
                           "destination": "/www/"}],
            "configCommands": config_commands}
        if run_commands:
            build["runCommands"] = run_commands
        return self._write(service, {**self._image(service, tag), "buildSpec": build})

    def artifact(self, service: str) -> Path:
        return self.folder / f"{service}-site" / "index.html"

    def set_tag(self, service: str, tag: str) -> None:
        path = self.folder / f"{service}.hspec"
        spec = yaml.safe_load(path.read_text())
        spec["image"]["tag"] = tag
        self.write(path, spec)

    def user_dockerfile(self, service: str, dockerfile: str, files: dict[str, str], *,
                        args: dict[str, str] | None = None, target: str | None = None,
                        tag: str = "1.0") -> Path:
        """An image.dockerfile service: context ``<service>/`` holding ``files`` and
        ``docker/Dockerfile`` (dockerfilePath names the folder, as in HyScale)."""
        context = self.folder / service
        (context / "docker").mkdir(parents=True, exist_ok=True)
        (context / "docker" / "Dockerfile").write_text(dockerfile)
        for name, text in files.items():
            (context / name).write_text(text)
        settings: dict[str, Any] = {"path": service, "dockerfilePath": "docker"}
        if args:
            settings["args"] = args
        if target:
            settings["target"] = target
        return self._write(service, {**self._image(service, tag), "dockerfile": settings})

    def stack_as_is(self, service: str, tag: str = "1.0") -> Path:
        """A buildSpec with only the stack image: HyScale pulls, tags and pushes it as is."""
        assert self.registry is not None
        return self._write(service, {**self._image(service, tag),
                                     "buildSpec": {"stackImage": self.registry.stack_image}})

    def prebuilt(self, service: str, registry: str, name: str, tag: str) -> Path:
        """No build section: the image exists already and is deployed as it is."""
        return self._write(service, {"registry": registry, "name": name, "tag": tag})


NewApp = Callable[..., ImageApp]  # the new_app fixture: new_app(word, registry_host=None, login=...)


def make_app(root: Path, name: str, registry: Registry, *, registry_host: str | None = None,
             login: str | None = "good", extra_logins: tuple[str, ...] = ()) -> ImageApp:
    """An empty app ``name`` under ``root``. ``login``: "good" (the registry's user and
    password), "wrong" (a wrong password) or None (no docker config at all), written for the
    registry, for ``registry_host`` and for every host in ``extra_logins``."""
    host = registry_host or registry.host
    logins = None
    if login is not None:
        password = registry.password if login == "good" else f"wrong-{registry.password[::-1]}"
        logins = dict.fromkeys((registry.host, host, *extra_logins), (registry.user, password))
    return ImageApp.create(root, name, logins=logins, registry=registry, registry_host=host)


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
