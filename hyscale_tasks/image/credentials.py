"""Registry credentials from the user's docker config, through the docker SDK's own lookup.

The SDK reads ``$DOCKER_CONFIG/config.json`` (or ``~/.docker/config.json``) and resolves
``credHelpers``, ``credsStore`` and ``auths`` the way the docker CLI does. ``docker`` is imported
here, lazily, and only when credentials are needed. One case is read without it: a config with
no credential store or helper and an ``auths`` entry named exactly as the registry, holding an
``auth`` (what ``docker login`` writes without a store). Importing the SDK costs ~0.1 s, a good
part of a no-op run, whose push check asks the registry whether it still has each image; any
other config (a store, a helper, Docker Hub's aliases, an entry named by URL, a token) goes
through the SDK.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from hyscale_tasks.errors import HyscaleError

DOCKER_HUB_INDEX = "https://index.docker.io/v1/"
_DOCKER_HUB_ALIASES = {"docker.io", "index.docker.io", "registry-1.docker.io"}


@dataclass(frozen=True)
class RegistryCredentials:
    registry: str  # the key written into a dockerconfigjson
    username: str
    password: str = field(repr=False)  # a secret: never in a log or a traceback

    @property
    def auth(self) -> str:
        return base64.b64encode(f"{self.username}:{self.password}".encode()).decode("ascii")


def docker_config_file() -> Path:
    folder = os.environ.get("DOCKER_CONFIG")
    return Path(folder).expanduser() / "config.json" if folder else \
        Path.home() / ".docker" / "config.json"


def find_credentials(registry: str | None) -> RegistryCredentials | None:
    """The credentials docker would use for ``registry`` (None: Docker Hub), if any."""
    config_file = docker_config_file()
    if not config_file.is_file():
        return None
    plain = _plain_login(config_file, registry)
    if plain is not None:
        return plain
    from docker import auth, errors  # imported here: loading tasks must not import docker

    try:
        config = auth.load_config(str(config_file))
        found = config.resolve_authconfig(registry if registry not in _DOCKER_HUB_ALIASES else None)
    except errors.DockerException as exc:
        raise HyscaleError(f"Cannot read registry credentials from {config_file}: {exc}\n"
                           f"  fix: run 'docker login {registry or 'docker.io'}' again.") from None
    if not found:
        return None
    username = found.get("username") or found.get("Username")
    password = found.get("password") or found.get("Password")
    if not username or password is None:
        return None
    key = registry if registry and registry not in _DOCKER_HUB_ALIASES else DOCKER_HUB_INDEX
    return RegistryCredentials(key, str(username), str(password))


def _plain_login(config_file: Path, registry: str | None) -> RegistryCredentials | None:
    """The login ``docker login`` wrote for ``registry`` in a config without a credential store
    or helper, read without the SDK; None when the SDK must decide (module doc)."""
    if not registry or registry in _DOCKER_HUB_ALIASES:
        return None
    try:
        config = json.loads(config_file.read_bytes())
        if not isinstance(config, dict) or config.get("credsStore") or config.get("credHelpers"):
            return None
        entry = (config.get("auths") or {}).get(registry)
        if not isinstance(entry, dict) or set(entry) != {"auth"}:
            return None
        username, colon, password = base64.b64decode(str(entry["auth"])).decode().partition(":")
    except (OSError, ValueError, AttributeError):
        return None
    return RegistryCredentials(registry, username, password) if username and colon else None
