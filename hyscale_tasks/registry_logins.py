"""Where the tool reads registry logins from, and how a message says to add one there.

HyScale's rule (image/credentials.py): from the docker config given in ``HYS_REGISTRY_CONFIG``
when it is set, *instead of* the docker config file. A message about a missing or refused login
names the source the tool read and the fix that works there: ``docker login`` writes the file,
which a run given ``HYS_REGISTRY_CONFIG`` never reads.

A leaf below every package: the push (image/), the image-pull Secret's plugin (manifests/) and
the troubleshooter (cluster/) all say it. It reads the environment only; image/credentials.py
reads and checks the setting's value when a run starts.
"""

from __future__ import annotations

import os
from pathlib import Path

REGISTRY_CONFIG = "HYS_REGISTRY_CONFIG"
_OFF = {"", "false"}


def registry_config_value() -> str | None:
    """``HYS_REGISTRY_CONFIG`` as set (stripped), or None when it is off: unset, empty or false."""
    value = os.environ.get(REGISTRY_CONFIG, "").strip()
    return None if value.lower() in _OFF else value


def reads_registry_config() -> bool:
    """Logins come from ``HYS_REGISTRY_CONFIG``, not from the docker config file."""
    return registry_config_value() is not None


def docker_config_file() -> Path:
    folder = os.environ.get("DOCKER_CONFIG")
    return Path(folder).expanduser() / "config.json" if folder else \
        Path.home() / ".docker" / "config.json"


def login_source() -> str:
    """Where logins are read from, for a message: the docker config file's path, or the
    setting."""
    if reads_registry_config():
        return f"the docker config given in {REGISTRY_CONFIG}"
    return str(docker_config_file())


def login_fix(registry: str) -> str:
    """How to give the tool a login for ``registry``, in the source it reads (a sentence's
    predicate: ``run 'docker login host:5000'``)."""
    if reads_registry_config():
        return f"add an entry for {registry} under \"auths\" in {login_source()}"
    return f"run 'docker login {registry}'"
