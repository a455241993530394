"""Login check, tag and ``docker push``, streamed to logs/push.log (HyScale §5.1 steps 4, 7, 8).

The login is checked against the registry before anything is tagged or pushed, so a wrong or
missing login fails the stage with nothing half-done and names the fix. A registry that is down
(5xx, no answer) is reported as down, with its name, wherever it shows: our own ``/v2/`` ping
before the login, the engine's login, or the push stream.
"""

from __future__ import annotations

import re

import docker

from hyscale_tasks.image.client import docker_errors
from hyscale_tasks.image.credentials import RegistryCredentials
from hyscale_tasks.image.names import ImageName
from hyscale_tasks.image.registry import RegistryUnavailableError, is_loopback
from hyscale_tasks.image.streams import DockerError, StreamLog, follow
from hyscale_tasks.registry_logins import login_fix, login_source, reads_registry_config


def missing_login(registry: str) -> DockerError:
    if reads_registry_config():  # HyScale's message below sends the user to the file
        return DockerError(f"Cannot find {registry} credentials in {login_source()}.",
                           f"{login_fix(registry)}.")
    return DockerError(f"Cannot find {registry} credentials. Do 'docker login {registry}' to "
                       "continue with the deployment")


def check_login(client: docker.DockerClient, credentials: RegistryCredentials) -> None:
    """Ask the registry, through the engine, whether these credentials are good."""
    registry = credentials.registry
    address = f"http://{registry}" if is_loopback(registry) else registry
    try:
        client.login(credentials.username, credentials.password, registry=address, reauth=True)
    except docker.errors.APIError as exc:
        said = str(exc.explanation or exc)
        if _UNAVAILABLE.search(said):
            raise RegistryUnavailableError(registry, f"answered the Docker engine's login check: {said}") \
                from None
        if _UNREACHABLE.search(said):
            raise DockerError(f"Cannot reach registry {registry}: {said}", "check that the "
                              "registry is up and its address in image.registry is right.") from None
        raise DockerError(f"Failed to authenticate with the docker registry {registry}: {said}",
                          f"{login_fix(registry)}.") from None
    except docker.errors.DockerException:
        with docker_errors(f"log in to {registry}"):
            raise


# What dockerd says when the registry answers 5xx or 429, or not at all, in time.
_UNAVAILABLE = re.compile(r"status:? 5\d\d|status:? 429|\b5\d\d (Service Unavailable|Bad Gateway|"
                          r"Gateway Time-?out|Internal Server Error)|Client\.Timeout|"
                          r"deadline exceeded|timeout awaiting", re.IGNORECASE)
_UNREACHABLE = re.compile(r"connection refused|no such host|i/o timeout|no route to host|"
                          r"connection reset|server misbehaving|dial tcp", re.IGNORECASE)


def push(client: docker.DockerClient, image_id: str, target: ImageName,
         credentials: RegistryCredentials, log: StreamLog) -> str:
    """Tag ``image_id`` as ``target`` and push it; return the digest the registry reported."""
    repository = f"{target.registry}/{target.repository}"
    log.write(f"docker push {target.reference}")
    with docker_errors(f"push {target.reference}"):
        client.api.tag(image_id, repository, target.tag)
        events = client.api.push(repository, tag=target.tag, stream=True, decode=True,
                                 auth_config={"username": credentials.username,
                                              "password": credentials.password})
        try:
            aux = follow(events, log, f"push image {target.reference}")
        except DockerError as exc:
            if _UNAVAILABLE.search(str(exc).split("\n", 1)[0]):  # the error, not the log tail
                raise DockerError(f"Registry {target.registry} is unavailable: {exc}", "wait "
                                  "until the registry is back, then run the same command again; "
                                  "finished stages are not repeated.") from None
            raise
    digest = next((str(item["Digest"]) for item in reversed(aux) if "Digest" in item), None)
    if not digest:
        raise DockerError(f"Failed to push image {target.reference}: the registry reported no "
                          f"digest.\n  last lines of {log.path}:\n{log.tail()}")
    return digest
