"""The test registry that ``scripts/test-services`` starts, seen from the tests.

The services write ``HYSCALE_TEST_*`` variables (host:port, login, the stack image);
:func:`Registry.from_env` reads them. The tests ask the registry directly over its HTTP API v2,
with the login, to check what the tool claims: the digest a tag resolves to (``HEAD`` with the
manifest Accept header: without it the registry answers a schema-1 digest, test-infra §3), which
tags exist, and to delete a manifest (the registry runs with ``delete: enabled: true``).
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
ENV_VARIABLES = ("HYSCALE_TEST_REGISTRY", "HYSCALE_TEST_REGISTRY_USER",
                 "HYSCALE_TEST_REGISTRY_PASSWORD", "HYSCALE_TEST_STACK_IMAGE")
MISSING_SERVICES = (
    "The Docker engine and the test registry are not set up: {missing} not set.\n"
    "  fix: run the tests through scripts/test, which starts dockerd (unless one answers), an "
    "authenticated registry on 127.0.0.1 and the stack image, and exports HYSCALE_TEST_*; or, "
    "by hand: W=$(mktemp -d); scripts/test-services start $W .venv/bin/python; . $W/env")


class ServicesMissingError(RuntimeError):
    """The HYSCALE_TEST_* variables are not set: the services were not started."""


@dataclass(frozen=True)
class Registry:
    host: str  # 127.0.0.1:PORT
    user: str
    password: str
    stack_image: str  # HOST/stack/busybox:1.36: FROM scratch + busybox-static, already pushed

    @classmethod
    def from_env(cls) -> Registry:
        missing = [name for name in ENV_VARIABLES if not os.environ.get(name)]
        if missing:
            raise ServicesMissingError(MISSING_SERVICES.format(missing=", ".join(missing)))
        return cls(*(os.environ[name] for name in ENV_VARIABLES))

    @property
    def auth(self) -> str:
        """base64 ``user:password``, as docker keeps it in ``auths``."""
        return base64.b64encode(f"{self.user}:{self.password}".encode()).decode("ascii")

    @property
    def port(self) -> int:
        return int(self.host.rsplit(":", 1)[1])

    # -- registry API ----------------------------------------------------------------------
    def _request(self, method: str, path: str, host: str | None = None,
                 headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(f"http://{host or self.host}{path}", method=method,
                                         headers={"Authorization": f"Basic {self.auth}",
                                                  **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def served_digest(self, repository: str, tag: str, host: str | None = None) -> str | None:
        """The digest the registry serves for ``repository:tag`` (None: no such tag)."""
        status, headers, body = self._request(
            "HEAD", f"/v2/{repository}/manifests/{urllib.parse.quote(tag)}", host,
            {"Accept": MANIFEST_V2})
        if status == 404:
            return None
        assert status == 200, f"registry answered {status} for {repository}:{tag}: {body!r}"
        return headers.get("Docker-Content-Digest")

    def tags(self, repository: str) -> list[str]:
        """The repository's tags; [] when the registry never heard of it."""
        status, _, body = self._request("GET", f"/v2/{repository}/tags/list")
        if status == 404:
            return []
        assert status == 200, f"registry answered {status} for tags of {repository}: {body!r}"
        return list(json.loads(body).get("tags") or [])

    def delete(self, repository: str, digest: str) -> None:
        """Delete the manifest ``digest`` (and so every tag that points at it)."""
        status, _, body = self._request("DELETE", f"/v2/{repository}/manifests/{digest}")
        assert status == 202, f"registry answered {status} to DELETE {repository}@{digest}: {body!r}"


def write_docker_config(folder: Path, logins: dict[str, tuple[str, str]]) -> Path:
    """A DOCKER_CONFIG folder whose config.json has an ``auths`` entry per registry, as
    ``docker login`` writes it (base64 ``user:password``). Returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    auths = {host: {"auth": base64.b64encode(f"{user}:{password}".encode()).decode("ascii")}
             for host, (user, password) in logins.items()}
    config = folder / "config.json"
    config.write_text(json.dumps({"auths": auths}, indent=1) + "\n")
    config.chmod(0o600)
    return folder
