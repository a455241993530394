"""Registry credentials: from ``HYS_REGISTRY_CONFIG`` when it is set, else the docker config file.

Where they come from is HyScale's rule (its ``SetupConfig.hasExternalRegistryConf``): the docker
config given in ``HYS_REGISTRY_CONFIG`` is used *instead of* the docker config file, never merged
with it, so a registry it has no entry for has no credentials. The setting takes:

* ``true``: the document (the JSON of a ``config.json``) on standard input. HyScale reads its
  first line; so do we, and when that is not a whole document, the rest (a ``config.json`` piped
  as docker writes it, over several lines). It is read once, when the run starts
  (:func:`registry_config`, called by ``doit_config`` and the ``hyscale`` command), and put back
  into the variable in place of ``true``: the run's worker processes and a dev loop's turns
  then find the document there, since only the first process has the standard input.
* the document itself (``{"auths": ...}``): for a CI job that keeps it in a secret variable;
* ``false`` or nothing: as if unset.

Without it, the SDK's lookup reads ``$DOCKER_CONFIG/config.json`` (or ``~/.docker/config.json``)
and resolves ``credHelpers``, ``credsStore`` and ``auths`` the way the docker CLI does.
``docker`` is imported here, lazily, and only when credentials are needed. One case is read
without it: a config with no credential store or helper and an ``auths`` entry named exactly as
the registry, holding an ``auth`` (what ``docker login`` writes without a store). Importing the
SDK costs ~0.1 s, a good part of a no-op run, whose push check asks the registry whether it
still has each image; any other config (a store, a helper, Docker Hub's aliases, an entry named
by URL, a token) goes through the SDK. The document is never written to disk: the SDK takes it
as a dict.

The setting's value is a secret: no message quotes it, and every login found is handed to the
tool log's redaction (:func:`hyscale_tasks.log.keep_secret`).
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from hyscale_tasks.docker_hub import DOCKER_HUB, LOGIN_ALIASES, LOGIN_KEY
from hyscale_tasks.errors import HyscaleError
from hyscale_tasks.log import keep_secret
from hyscale_tasks.registry_logins import (
    REGISTRY_CONFIG,
    docker_config_file,
    login_fix,
    registry_config_value,
)

_FROM_STDIN = "true"
_CONFIG_KEYS = ("auths", "credsStore", "credHelpers")
_EXAMPLE = '{"auths": {"<registry>": {"auth": "<base64 of user:password>"}}}'


@dataclass(frozen=True)
class RegistryCredentials:
    registry: str  # the key written into a dockerconfigjson
    username: str
    password: str = field(repr=False)  # a secret: never in a log or a traceback

    def __post_init__(self) -> None:
        keep_secret(self.password)
        keep_secret(self.auth)

    @property
    def auth(self) -> str:
        return base64.b64encode(f"{self.username}:{self.password}".encode()).decode("ascii")


class RegistryConfigError(HyscaleError):
    """``HYS_REGISTRY_CONFIG`` cannot be used. The message never quotes its value."""

    def __init__(self, cause: str, fix: str) -> None:
        super().__init__(f"{REGISTRY_CONFIG}: {cause} (its value is not shown: it holds registry "
                         "credentials).", fix)


def registry_config(stdin: TextIO | None = None) -> dict[str, Any] | None:
    """The docker config ``HYS_REGISTRY_CONFIG`` gives, checked; None when it is not set.

    With ``true``, reads it from ``stdin`` (default: the process's) and puts it into the
    variable (module doc). Raises :class:`RegistryConfigError` for a value that cannot be used."""
    value = registry_config_value()
    if value is None:
        return None
    given = "read from standard input"
    if value.lower() == _FROM_STDIN:
        value = _read_document(sys.stdin if stdin is None else stdin)
        document = _checked(value, given)
        os.environ[REGISTRY_CONFIG] = json.dumps(document, separators=(",", ":"))
        return document
    if not value.startswith(("{", "[")):  # JSON of any other kind is said to be wrong below
        raise RegistryConfigError(
            "it is neither 'true' (read the docker config from standard input) nor a docker "
            "config JSON document (it does not start with '{')",
            f"set it to true and pipe the config on standard input, or to the document "
            f"itself: {_EXAMPLE}; unset it to use {docker_config_file()}.")
    return _checked(value, "given in the variable")


def registry_config_fingerprint() -> str:
    """A digest of the document ``HYS_REGISTRY_CONFIG`` gives ("" when it gives none): what an
    up-to-date check compares to notice new credentials, without keeping them."""
    document = registry_config()
    if document is None:
        return ""
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def credential_files() -> list[Path]:
    """The files logins are read from (the docker config file, when it is used and exists):
    a file dependency of what carries a login (the image-pull Secret)."""
    if registry_config() is not None:
        return []
    config_file = docker_config_file()
    return [config_file] if config_file.is_file() else []


def find_credentials(registry: str | None) -> RegistryCredentials | None:
    """The credentials docker would use for ``registry`` (a registry's host), if any. Docker
    Hub is None or any of its names (docker_hub.LOGIN_ALIASES): callers pass the host as they
    have it."""
    document = registry_config()
    sdk_args: dict[str, Any]  # how the SDK's lookup gets the same config
    if document is None:
        config_file = docker_config_file()
        if not config_file.is_file():
            return None
        plain = _plain_login(_read_config(config_file), registry)
        where, sdk_args = str(config_file), {"config_path": str(config_file)}
    else:
        if not any(document.get(key) for key in _CONFIG_KEYS):
            return None  # (the SDK would read the config file for an empty one)
        plain = _plain_login(document, registry)
        # The SDK takes the document apart (dict.pop): give it a copy.
        where, sdk_args = REGISTRY_CONFIG, {"config_dict": copy.deepcopy(document)}
    if plain is not None:
        return plain
    # Imported here, as loading tasks must not import docker; through image/engine.py, which a
    # build may be importing in the background (two threads importing the docker SDK get it
    # half-done).
    from hyscale_tasks.image import engine  # noqa: F401, I001  (first, as said above)
    from docker import auth, errors

    try:
        config = auth.load_config(**sdk_args)
        found = config.resolve_authconfig(registry if registry not in LOGIN_ALIASES else None)
    except errors.DockerException as exc:
        raise HyscaleError(f"Cannot read registry credentials from {where}: {exc}",
                           f"{login_fix(registry or DOCKER_HUB)}.") from None
    if not found:
        return None
    username = found.get("username") or found.get("Username")
    password = found.get("password") or found.get("Password")
    if not username or password is None:
        return None
    key = registry if registry and registry not in LOGIN_ALIASES else LOGIN_KEY
    return RegistryCredentials(key, str(username), str(password))


def _read_config(config_file: Path) -> Any:
    try:
        return json.loads(config_file.read_bytes())
    except (OSError, ValueError):
        return None  # the SDK decides what an unreadable file means


def _plain_login(config: Any, registry: str | None) -> RegistryCredentials | None:
    """The login ``docker login`` wrote for ``registry`` in a config without a credential store
    or helper, read without the SDK; None when the SDK must decide (module doc)."""
    if not registry or registry in LOGIN_ALIASES:
        return None
    try:
        if not isinstance(config, dict) or config.get("credsStore") or config.get("credHelpers"):
            return None
        entry = (config.get("auths") or {}).get(registry)
        if not isinstance(entry, dict) or set(entry) != {"auth"}:
            return None
        username, colon, password = base64.b64decode(str(entry["auth"])).decode().partition(":")
    except (ValueError, AttributeError):
        return None
    return RegistryCredentials(registry, username, password) if username and colon else None


# -- HYS_REGISTRY_CONFIG's document ------------------------------------------------------------
_checked_documents: dict[str, dict[str, Any]] = {}  # by text: parsed and checked once


def _read_document(stdin: TextIO) -> str:
    pipe_it = (f"pipe the docker config in ({REGISTRY_CONFIG}=true <command> < config.json), or "
               f"set {REGISTRY_CONFIG} to the document itself: {_EXAMPLE}")
    if stdin is None or stdin.closed:
        raise RegistryConfigError("'true' reads the docker config from standard input, which "
                                  "this process does not have", pipe_it)
    if stdin.isatty():
        raise RegistryConfigError("'true' reads the docker config from standard input, which "
                                  "is a terminal here", pipe_it)
    first = stdin.readline()
    try:
        json.loads(first)
        return first  # HyScale's launcher writes one line and need not close the pipe
    except ValueError:
        rest = stdin.read()  # a document over several lines (config.json as docker writes it)
    text = first + rest
    if not text.strip():
        raise RegistryConfigError("'true' reads the docker config from standard input, which "
                                  "was empty", pipe_it)
    return text


def _checked(text: str, given: str) -> dict[str, Any]:
    """The document in ``text``, parsed, its logins kept secret for the log, or the one error
    that says what is wrong in it (a JSON position or a field, never a value)."""
    if text in _checked_documents:
        return _checked_documents[text]
    keep_secret(text.strip())
    fix = f"give the JSON of a docker config.json, such as {_EXAMPLE}"
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:  # its message says where, without quoting the text
        raise RegistryConfigError(f"the docker config {given} is not valid JSON: {exc.msg} at "
                                  f"line {exc.lineno} column {exc.colno}", fix) from None
    if not isinstance(document, dict):
        raise RegistryConfigError(f"the docker config {given} is not a JSON object", fix)
    if document and not any(key in document for key in _CONFIG_KEYS):
        raise RegistryConfigError(f"the docker config {given} has none of "
                                  f"{', '.join(_CONFIG_KEYS)}", fix)
    auths = document.get("auths") or {}
    if not isinstance(auths, dict):
        raise RegistryConfigError(f"\"auths\" in the docker config {given} is not an object", fix)
    for registry, entry in auths.items():
        _check_entry(registry, entry, given, fix)
    _checked_documents[text] = document
    return document


def _check_entry(registry: str, entry: Any, given: str, fix: str) -> None:
    where = f"auths[\"{registry}\"] in the docker config {given}"
    if not isinstance(entry, dict):
        raise RegistryConfigError(f"{where} is not an object", fix)
    for name in ("identitytoken", "registrytoken"):
        if isinstance(entry.get(name), str):
            keep_secret(entry[name])
    if "auth" not in entry:
        return  # a token, or an empty entry whose login a credential store holds
    auth = entry["auth"]
    try:
        keep_secret(str(auth))
        login = base64.b64decode(str(auth), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        login = ""
    username, colon, password = login.partition(":")
    if not isinstance(auth, str) or not username or not colon:
        raise RegistryConfigError(f"\"auth\" of {where} is not the base64 of user:password",
                                  "set it to the output of: printf '%s' 'user:password' | "
                                  "base64 -w0")
    keep_secret(password)
