"""Registry probes over the Docker Registry HTTP API v2: does it still serve this digest?

One ``HEAD /v2/<repository>/manifests/<tag>`` (plus a token request where the registry uses
bearer tokens) tells whether the registry still maps the tag to the digest we pushed. The
manifest Accept headers matter: without them a registry answers with a schema-1 manifest whose
digest is a different one (test-infra §3). No Docker engine is involved. Every read, this one
and image/remote.py's manifest and config reads, goes through :func:`read`, with the user's
login (basic, or the bearer token the registry asks for).

A registry that is down for a while (5xx, no answer in ``HYS_REGISTRY_TIMEOUT`` seconds, refused
connections) raises :class:`RegistryUnavailableError`, apart from a refused login: a deploy whose
image was pushed already goes on without it, and a push says the registry is down instead of
blaming the login (which is all the Docker engine's login check would say).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from hyscale_tasks.docker_hub import API_HOST, IMAGE_ALIASES
from hyscale_tasks.errors import HyscaleError
from hyscale_tasks.image.credentials import RegistryCredentials
from hyscale_tasks.image.names import ImageName
from hyscale_tasks.registry_logins import login_fix

MANIFEST_TYPES = ", ".join([
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
])
TIMEOUT = 10.0  # seconds, unless HYS_REGISTRY_TIMEOUT says otherwise


class RegistryError(HyscaleError):
    """The registry could not be asked (down, refused the login, answered nonsense)."""


class RegistryUnavailableError(RegistryError):
    """The registry is down or overloaded for now: 5xx, 429, no answer, refused connections."""

    def __init__(self, registry: str, what: str) -> None:
        self.registry = registry
        self.what = what  # "answered HTTP 503 Service Unavailable", "did not answer within 10 s"
        super().__init__(f"Registry {registry} is unavailable: it {what}.",
                         "wait until the registry is back (or check image.registry in the "
                         "spec), then run the same command again; finished stages are not "
                         "repeated.")


def timeout() -> float:
    try:
        return float(os.environ.get("HYS_REGISTRY_TIMEOUT") or TIMEOUT)
    except ValueError:
        return TIMEOUT


def _unavailable(registry: str, exc: BaseException) -> RegistryUnavailableError | None:
    """The :class:`RegistryUnavailableError` that ``exc`` (from urllib) means, if it means one."""
    if isinstance(exc, urllib.error.HTTPError):
        if exc.code >= 500 or exc.code == 429:
            return RegistryUnavailableError(registry, f"answered HTTP {exc.code} {exc.reason}".strip())
        return None
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, TimeoutError) or "timed out" in str(reason):
        return RegistryUnavailableError(registry, f"did not answer within {timeout():g} s")
    if isinstance(reason, (ConnectionError, OSError)):
        return RegistryUnavailableError(registry, f"could not be reached ({_reason(reason)})")
    return None


def _reason(reason: object) -> str:
    text = str(getattr(reason, "strerror", None) or reason)
    return text[0].lower() + text[1:] if text else type(reason).__name__


def ping(image: ImageName) -> None:
    """Raise :class:`RegistryUnavailableError` unless the registry answers ``GET /v2/`` (any answer
    but 5xx: 401 is how a registry with a login says hello)."""
    request = urllib.request.Request(f"{base_url(image)}/v2/")
    try:
        with urllib.request.urlopen(request, timeout=timeout()):
            return
    except urllib.error.HTTPError as exc:
        down = _unavailable(image.registry, exc)
        if down is not None:
            raise down from None
    except (urllib.error.URLError, OSError) as exc:
        raise _unavailable(image.registry, exc) or RegistryError(
            f"Cannot reach registry {image.registry} ({exc}).") from None


def base_url(image: ImageName) -> str:
    host = API_HOST if image.host in IMAGE_ALIASES else image.host
    return f"{'http' if is_loopback(host) else 'https'}://{host}"


def is_loopback(host: str) -> bool:
    """Docker talks plain HTTP to registries on loopback, and so do we."""
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    name = name.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def served_digest(image: ImageName, credentials: RegistryCredentials | None) -> str | None:
    """The digest the registry serves for ``image``'s tag, or None when it has no such tag."""
    answer = read(image, credentials, f"manifests/{urllib.parse.quote(image.tag)}",
                  MANIFEST_TYPES, method="HEAD")
    if answer is None:
        return None
    digest = answer[0].get("docker-content-digest")
    return str(digest) if digest else None


Answer = tuple[dict[str, str], bytes]  # the response headers (lower-case names) and body


def read(image: ImageName, credentials: RegistryCredentials | None, path: str, accept: str,
         method: str = "GET") -> Answer | None:
    """One read of ``/v2/<repository>/<path>`` with the user's login: basic auth, or the bearer
    token the registry's challenge asks for (kept for the next read of that repository). None
    when the registry answers 404; an error that says what failed otherwise."""
    url = f"{base_url(image)}/v2/{image.api_repository}/{path}"
    headers = {"Accept": accept}
    key = (image.host, image.api_repository)
    if key in _TOKENS:
        headers["Authorization"] = "Bearer " + _TOKENS[key]
    elif credentials is not None:
        headers["Authorization"] = "Basic " + credentials.auth
    try:
        try:
            return _open(url, headers, method)
        except urllib.error.HTTPError as exc:
            challenge = exc.headers.get("WWW-Authenticate", "")
            if exc.code != 401 or not challenge.lower().startswith("bearer"):
                raise
            _TOKENS[key] = _token(challenge, credentials, image)
            headers["Authorization"] = "Bearer " + _TOKENS[key]
            return _open(url, headers, method)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise _unavailable(image.registry, exc) or _refusal(image, exc.code) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise _unavailable(image.registry, exc) or RegistryError(
            f"Cannot reach registry {image.registry} ({reason}).",
            "check that the registry is up and its address is right.") from None


# Bearer tokens by (registry host, repository), for the reads of one process (one stage).
_TOKENS: dict[tuple[str, str], str] = {}
MAX_READ = 4 * 1024 * 1024  # bytes: a manifest or an image config is a few KiB


def _open(url: str, headers: dict[str, str], method: str) -> Answer:
    request = urllib.request.Request(url, method=method, headers=headers)
    with _OPENER.open(request, timeout=timeout()) as response:
        body = b"" if method == "HEAD" else response.read(MAX_READ + 1)
        if len(body) > MAX_READ:
            raise RegistryError(f"{url} answered more than {MAX_READ} bytes; not a manifest "
                                "or an image config.")
        return {name.lower(): value for name, value in response.headers.items()}, body


class _KeepLoginOnItsHost(urllib.request.HTTPRedirectHandler):
    """A blob read may be redirected to storage elsewhere (S3, a CDN) that must not get the
    registry login, and refuses a request that carries two kinds of auth."""

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: Any, newurl: str) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urllib.parse.urlsplit(newurl).netloc != \
                urllib.parse.urlsplit(req.full_url).netloc:
            new.remove_header("Authorization")
        return new


_OPENER = urllib.request.build_opener(_KeepLoginOnItsHost())


def _token(challenge: str, credentials: RegistryCredentials | None, image: ImageName) -> str:
    fields = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
    query = {key: fields[key] for key in ("service", "scope") if key in fields}
    query.setdefault("scope", f"repository:{image.api_repository}:pull")
    request = urllib.request.Request(f"{fields.get('realm', '')}?{urllib.parse.urlencode(query)}")
    if credentials is not None:
        request.add_header("Authorization", "Basic " + credentials.auth)
    try:
        with urllib.request.urlopen(request, timeout=timeout()) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise _unavailable(image.registry, exc) or _refusal(image, exc.code) from None
    except (urllib.error.URLError, OSError) as exc:
        raise _unavailable(image.registry, exc) or RegistryError(
            f"Cannot get a token from registry {image.registry}: {exc}") from None
    except ValueError as exc:
        raise RegistryError(f"Cannot get a token from registry {image.registry}: {exc}") from None
    return str(body.get("token") or body.get("access_token") or "")


def _refusal(image: ImageName, status: int) -> RegistryError:
    if status in (401, 403):
        return RegistryError(f"Registry {image.registry} refused the login for {image.repository} "
                             f"(HTTP {status}).", f"{login_fix(image.registry)}.")
    return RegistryError(f"Registry {image.registry} answered HTTP {status} for {image.reference}.")

