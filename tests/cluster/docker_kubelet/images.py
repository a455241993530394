"""Image pulls as a node does them: credentials from the pod's ``imagePullSecrets`` only, and
``imagePullPolicy`` (Always: pull every time; IfNotPresent: only when missing; Never: never)."""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import docker.errors

from .engine import ENGINE_ERRORS, explanation

Obj = dict[str, Any]
DOCKER_HUB = "docker.io"
_HUB_ALIASES = {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}
# distribution's reference grammar, loosely: what a runtime refuses with "invalid reference format"
_REFERENCE = re.compile(
    r"^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@[a-z0-9]+:[a-fA-F0-9]{32,})?$"
)


@dataclass(frozen=True)
class ImageRef:
    registry: str  # host[:port], docker.io for Docker Hub
    repository: str  # as written, without tag or digest
    reference: str  # repository:tag or repository@digest, what the runtime pulls

    @property
    def path(self) -> str:
        """The repository without its registry host (``team/app``)."""
        if self.registry == DOCKER_HUB and not self.repository.startswith(("docker.io/", "index.docker.io/")):
            return self.repository
        return self.repository.split("/", 1)[1]


class InvalidImageNameError(ValueError):
    pass


class PullError(RuntimeError):
    """ErrImagePull: the message is the runtime's error."""


def parse_image(image: str) -> ImageRef:
    parsed = _parse(image) if image and _REFERENCE.match(image) else None
    if parsed is None or parsed.path != parsed.path.lower():  # only a registry host may have capitals
        raise InvalidImageNameError(
            f'Failed to apply default image tag "{image}": couldn\'t parse image name "{image}": '
            "invalid reference format"
        )
    return parsed


def _parse(image: str) -> ImageRef:
    name, _, digest = image.partition("@")
    tag = ""
    if name.rfind(":") > name.rfind("/"):
        name, tag = name.rsplit(":", 1)
    first, _, rest = name.partition("/")
    registry = first if rest and ("." in first or ":" in first or first == "localhost") else DOCKER_HUB
    if registry in _HUB_ALIASES:
        registry = DOCKER_HUB
    reference = f"{name}@{digest}" if digest else f"{name}:{tag or 'latest'}"
    return ImageRef(registry, name, reference)


def _registry_key(key: str) -> tuple[str, str]:
    """(host, path prefix) of an ``auths`` key: ``https://host:5000/v1/`` -> (``host:5000``, "")."""
    bare = re.sub(r"^[a-z]+://", "", key.strip()).rstrip("/")
    host, _, path = bare.partition("/")
    if host in _HUB_ALIASES:
        host, path = DOCKER_HUB, ""
    if path in ("v1", "v2"):
        path = ""
    return host, path


def _decode(value: str) -> str:
    try:
        return base64.b64decode(value).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ""


def docker_config_auths(secret: Obj) -> dict[str, Obj]:
    """The ``auths`` map of a ``kubernetes.io/dockerconfigjson`` (or legacy ``dockercfg``) Secret."""
    data = secret.get("data") or {}
    try:
        if ".dockerconfigjson" in data:
            parsed = json.loads(_decode(data[".dockerconfigjson"]) or "{}")
            auths = parsed.get("auths") if isinstance(parsed, dict) else None
        elif ".dockercfg" in data:
            auths = json.loads(_decode(data[".dockercfg"]) or "{}")
        else:
            return {}
    except ValueError:
        return {}
    return {str(k): v for k, v in auths.items() if isinstance(v, dict)} if isinstance(auths, dict) else {}


def credentials_for(image: ImageRef, secrets: Iterable[Obj]) -> list[dict[str, str]]:
    """The logins to try for ``image``, most specific registry path first, as the kubelet's keyring
    orders them. Empty: pull anonymously."""
    found: list[tuple[int, dict[str, str]]] = []
    for secret in secrets:
        for key, entry in docker_config_auths(secret).items():
            host, prefix = _registry_key(key)
            if host != image.registry or (prefix and not (image.path + "/").startswith(prefix + "/")):
                continue
            user, password = entry.get("username"), entry.get("password")
            if not (user and password) and entry.get("auth"):
                user, _, password = _decode(str(entry["auth"])).partition(":")
            if user and password:
                found.append((len(prefix), {"username": str(user), "password": str(password)}))
    found.sort(key=lambda item: -item[0])
    return [login for _, login in found]


def present(api: Any, reference: str) -> Obj | None:
    try:
        inspected: Obj = api.inspect_image(reference)
        return inspected
    except docker.errors.ImageNotFound:
        return None


@dataclass(frozen=True)
class Pulled:
    image: Obj  # docker inspect of the image
    seconds: float


def pull(api: Any, image: ImageRef, logins: list[dict[str, str]]) -> Pulled:
    """Pull with each login in turn (anonymously when there is none); PullError with the last error."""
    started = time.monotonic()
    error = "no attempt"
    # Always an explicit auth_config, {} when anonymous: with None the SDK sends the docker login it
    # finds in ~/.docker/config.json or $DOCKER_CONFIG, and a node only has the pod's pull secrets.
    anonymous: dict[str, str] = {}
    for login in logins or [anonymous]:
        try:
            for event in api.pull(image.reference, auth_config=login, stream=True, decode=True):
                if isinstance(event, dict) and event.get("error"):
                    raise PullError(f"Error response from daemon: {event['error']}")
            inspected = present(api, image.reference)
            if inspected is not None:
                return Pulled(inspected, time.monotonic() - started)
            error = f"Error response from daemon: {image.reference} not present after its pull"
        except PullError as exc:
            error = str(exc)
        except ENGINE_ERRORS as exc:
            error = f"Error response from daemon: {explanation(exc)}"
    raise PullError(error)


def image_id(inspected: Obj, image: ImageRef) -> str:
    """``imageID`` of a container status: ``repo@sha256:...`` as containerd reports it, else the id."""
    for digest in inspected.get("RepoDigests") or []:
        if str(digest).startswith(image.repository + "@"):
            return str(digest)
    return str(inspected.get("Id", ""))
