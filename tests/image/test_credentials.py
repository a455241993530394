"""Registry logins are found as the docker SDK finds them; the plain ``docker login`` entry is
read without importing the SDK (a no-op run's push check needs it for every built service)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from docker import auth

from hyscale_tasks.image.credentials import RegistryCredentials, find_credentials


def _config(folder: Path, document: dict[str, object]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(document))
    return folder


def _login(user: str, password: str) -> dict[str, str]:
    return {"auth": base64.b64encode(f"{user}:{password}".encode()).decode()}


# Docker Hub by its host or as None: callers pass an image's host as it is (image/stages.py).
@pytest.mark.parametrize("registry", ["registry.example:5000", "other.example", "docker.io", None])
def test_the_login_found_is_the_one_the_docker_sdk_finds(tmp_path: Path, registry: str | None,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _config(tmp_path, {"auths": {
        "registry.example:5000": _login("dev", "pa:ss"), "https://index.docker.io/v1/": _login(
            "hub", "h"), "https://other.example/v2/": _login("url", "u")}})
    monkeypatch.setenv("DOCKER_CONFIG", str(folder))
    sdk = auth.load_config(str(folder / "config.json")).resolve_authconfig(
        None if registry == "docker.io" else registry)

    found = find_credentials(registry)

    assert found is not None and (found.username, found.password) == \
        (sdk["username"], sdk["password"])


def test_a_plain_login_is_read_without_the_docker_sdk(tmp_path: Path) -> None:
    folder = _config(tmp_path / "docker", {"auths": {"registry.example:5000": _login("dev", "pw")}})
    shadow = tmp_path / "no-docker" / "docker"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text('raise ImportError("the SDK was imported")\n')
    script = ("from hyscale_tasks.image.credentials import find_credentials\n"
              "found = find_credentials('registry.example:5000')\n"
              "print(found.registry, found.username, found.password)\n")
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           env={**os.environ, "DOCKER_CONFIG": str(folder),
                                "PYTHONPATH": str(shadow.parent)})
    assert found.returncode == 0, found.stderr
    assert found.stdout.split() == ["registry.example:5000", "dev", "pw"]
    assert "pw" not in repr(RegistryCredentials("registry.example:5000", "dev", "pw"))
