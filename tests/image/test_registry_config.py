"""HYS_REGISTRY_CONFIG: registry logins given as a docker config, on standard input (``true``,
HyScale's form) or in the variable, instead of the docker config file.

The render tests need no Docker and no cluster (the image-pull Secret is rendered from the
login); the push test uses the real test registry, with no docker login on disk at all.
"""

from __future__ import annotations

import base64
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from hyscale_tasks.image.credentials import RegistryConfigError, find_credentials, registry_config
from hyscale_tasks.registry_logins import REGISTRY_CONFIG
from testing.workspace import REPO, DoitResult, NewApp, Workspace, assert_no_secret

HELLO_REGISTRY = "localhost:5000"  # apps/hello's image.registry
PULL_SECRET = "localhost5000-secret.yaml"


def _auth(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def _document(logins: dict[str, tuple[str, str]]) -> str:
    return json.dumps({"auths": {host: {"auth": _auth(*login)} for host, login in logins.items()}})


def _write_config(folder: Path, logins: dict[str, tuple[str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(_document(logins))
    return folder


def _pulled_login(workspace: Workspace) -> tuple[str, str] | None:
    """The user and password in hello's rendered image-pull Secret, if it has one."""
    secret = workspace.manifest("hello", "web", PULL_SECRET)
    if not secret.exists():
        return None
    config = json.loads(base64.b64decode(yaml.safe_load(secret.read_text())["data"][
        ".dockerconfigjson"]))
    user, _, password = base64.b64decode(config["auths"][HELLO_REGISTRY]["auth"]).decode() \
        .partition(":")
    return user, password


def _doit(workspace: Workspace, *args: str, stdin: str | None = None,
          env: dict[str, str] | None = None) -> DoitResult:
    """``doit`` as :meth:`Workspace.doit` runs it, with ``stdin`` piped in."""
    done = subprocess.run([sys.executable, "-m", "doit", "-f", str(REPO / "dodo.py"),
                           f"apps={workspace.apps}", *args], cwd=REPO, input=stdin or "",
                          env={**workspace.env(), **(env or {})}, capture_output=True,
                          text=True, timeout=workspace.timeout, check=False)
    result = DoitResult(done.returncode, done.stdout, done.stderr)
    workspace.results.append(result)
    return result


# -- where logins come from ----------------------------------------------------------------------
@pytest.mark.parametrize("registry", ["registry.example:5000", "docker.io"])
def test_the_document_in_the_variable_gives_what_the_same_config_file_gives(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, registry: str) -> None:
    # docker.io goes through the SDK (Docker Hub's aliases), the other through the plain reader.
    logins = {"registry.example:5000": ("dev", "pa:ss"),
              "https://index.docker.io/v1/": ("hub", "h")}
    monkeypatch.setenv("DOCKER_CONFIG", str(_write_config(tmp_path, logins)))
    monkeypatch.delenv(REGISTRY_CONFIG, raising=False)
    from_file = find_credentials(registry)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "none"))
    monkeypatch.setenv(REGISTRY_CONFIG, _document(logins))

    from_variable = find_credentials(registry)

    assert from_file is not None and from_variable == from_file


def test_the_setting_replaces_the_docker_config_file_as_in_hyscale(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(_write_config(tmp_path, {
        "a.example": ("file", "f"), "b.example": ("file", "f")})))
    monkeypatch.setenv(REGISTRY_CONFIG, _document({"a.example": ("given", "g")}))

    found = find_credentials("a.example")

    assert found is not None and (found.username, found.password) == ("given", "g")
    assert find_credentials("b.example") is None  # never merged with the file
    monkeypatch.setenv(REGISTRY_CONFIG, "false")
    found = find_credentials("b.example")
    assert found is not None and found.username == "file"


@pytest.mark.parametrize("piped", ["one line", "as docker writes config.json"])
def test_true_reads_the_document_from_standard_input_once_for_every_process(
        tmp_path: Path, piped: str) -> None:
    document = _document({"a.example": ("dev", "pw")})
    text = document + "\n" if piped == "one line" else json.dumps(json.loads(document), indent=1)
    script = ("import os, subprocess, sys\n"
              "from hyscale_tasks.image.credentials import find_credentials\n"
              "print(find_credentials('a.example').password)\n"
              # a worker process started later finds it in the variable, not on its stdin
              "child = 'from hyscale_tasks.image.credentials import find_credentials;"
              "print(find_credentials(\"a.example\").username)'\n"
              "subprocess.run([sys.executable, '-c', child], stdin=subprocess.DEVNULL)\n")
    done = subprocess.run([sys.executable, "-c", script], input=text, capture_output=True,
                          text=True, env={**os.environ, REGISTRY_CONFIG: "TRUE",
                                          "DOCKER_CONFIG": str(tmp_path)}, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["pw", "dev"]


_MALFORMED = {
    "not JSON": ('{"auths": {"a.example": {"auth": "c2VjcmV0LXB3"}', "is not valid JSON"),
    "not an object": ('["c2VjcmV0LXB3"]', "is not a JSON object"),
    "no docker config": ('{"a.example": {"auth": "c2VjcmV0LXB3"}}', "has none of auths"),
    "auths not an object": ('{"auths": ["c2VjcmV0LXB3"]}', "\"auths\" in the docker config"),
    "bad auth": ('{"auths": {"a.example": {"auth": "c2VjcmV0LXB3"}}}',
                 "\"auth\" of auths[\"a.example\"]"),
    "neither true nor JSON": ("c2VjcmV0LXB3", "neither 'true'"),
}


@pytest.mark.parametrize("case", sorted(_MALFORMED))
def test_a_malformed_value_is_one_error_that_names_the_setting_and_never_the_secret(
        monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    value, cause = _MALFORMED[case]  # "c2VjcmV0LXB3" is base64 of "secret-pw" (no colon)
    monkeypatch.setenv(REGISTRY_CONFIG, value)

    with pytest.raises(RegistryConfigError) as raised:
        registry_config()

    message = str(raised.value)
    assert message.startswith(f"{REGISTRY_CONFIG}: ") and cause in message
    assert "\n  fix: " in message
    assert "c2VjcmV0LXB3" not in message and "secret-pw" not in message


def test_true_without_a_document_on_standard_input_says_how_to_give_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REGISTRY_CONFIG, "true")
    main, terminal = pty.openpty()
    try:
        with os.fdopen(terminal, "r", closefd=False) as stdin, pytest.raises(
                RegistryConfigError, match="standard input, which is a terminal"):
            registry_config(stdin)
    finally:
        os.close(main)
        os.close(terminal)
    empty = subprocess.run([sys.executable, "-c", "from hyscale_tasks.image.credentials "
                            "import registry_config; registry_config()"],
                           input="", capture_output=True, text=True,
                           env={**os.environ, REGISTRY_CONFIG: "true"}, check=False)
    assert "which was empty" in empty.stderr and "fix: pipe the docker config" in empty.stderr


def test_every_login_the_process_reads_is_masked_in_the_tool_log(tmp_path: Path) -> None:
    document = _document({"a.example": ("dev", "given-pw-3391")})
    _write_config(tmp_path, {"b.example": ("dev", "file-pw-7720")})
    script = ("from hyscale_tasks import log\n"
              "from hyscale_tasks.image.credentials import find_credentials\n"
              "find_credentials('b.example')\n"  # the file's, read before the setting's
              "import os; os.environ['HYS_REGISTRY_CONFIG'] = os.environ['GIVEN']\n"
              "find_credentials('a.example')\n"
              "log.open_run_log(['test'])\n"
              "log.run_logger().error('said: %s', ' '.join(os.environ.values()))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "HYSCALE_HOME": str(tmp_path), "GIVEN": document,
                               "DOCKER_CONFIG": str(tmp_path)}, check=False)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "logs" / "latest.log").read_text()
    assert "said: " in text
    for secret in ("given-pw-3391", "file-pw-7720", document, _auth("dev", "given-pw-3391")):
        assert secret not in text


# -- through doit: the image-pull Secret, the up-to-date check, no secret left behind ------------
def test_the_pull_secret_is_rendered_from_standard_input_and_a_new_login_renders_it_again(
        workspace: Workspace) -> None:
    workspace.add_app("hello")
    _write_config(workspace.docker_config, {HELLO_REGISTRY: ("on-disk", "disk-pw")})
    piped = {REGISTRY_CONFIG: "true"}
    first = _document({HELLO_REGISTRY: ("ci", "first-pw-4411")})

    # -n 2: the workers render the Secret; only the main process had the standard input.
    _doit(workspace, "-n", "2", "app=hello", stdin=first, env=piped)
    assert _pulled_login(workspace) == ("ci", "first-pw-4411")
    again = _doit(workspace, "app=hello", stdin=first, env=piped)
    assert again.executed == []

    _doit(workspace, "app=hello", stdin=_document({HELLO_REGISTRY: ("ci", "second-pw-8822")}),
          env=piped)
    assert _pulled_login(workspace) == ("ci", "second-pw-8822")
    back = _doit(workspace, "app=hello")  # the setting gone: the docker config file's login
    assert "manifests:web" in back.executed
    assert _pulled_login(workspace) == ("on-disk", "disk-pw")
    assert_no_secret(workspace, "first-pw-4411", "second-pw-8822",
                     _auth("ci", "first-pw-4411"), _auth("ci", "second-pw-8822"))


def test_a_registry_the_document_lacks_gets_no_pull_secret_and_the_file_is_not_read(
        workspace: Workspace) -> None:
    workspace.add_app("hello")
    _write_config(workspace.docker_config, {HELLO_REGISTRY: ("on-disk", "disk-pw")})

    result = _doit(workspace, "app=hello",
                   env={REGISTRY_CONFIG: _document({"other.example": ("ci", "pw")})})

    assert result.returncode == 0, result.stderr
    assert _pulled_login(workspace) is None
    assert f"Missing credentials for the registry {HELLO_REGISTRY}" in result.stderr


def test_doit_stops_before_any_stage_on_a_malformed_value(workspace: Workspace) -> None:
    workspace.add_app("hello")

    result = _doit(workspace, "app=hello", stdin='{"auths": {"x": {"auth": "bm8tY29sb24="}}',
                   env={REGISTRY_CONFIG: "true"})

    assert result.returncode == 3, result
    assert f"{REGISTRY_CONFIG}: the docker config read from standard input is not valid JSON" \
        in result.stderr
    assert "Traceback" not in result.stderr and "bm8tY29sb24=" not in result.stderr
    assert not (workspace.home / "apps" / "hello" / "web").exists()


# -- the real registry: push and its no-op probe with no docker login on disk --------------------
def test_push_and_the_registry_probe_use_the_login_given_in_the_variable(
        new_app: NewApp) -> None:
    app = new_app("regconfig", login=None)
    assert app.registry is not None
    app.extra_env[REGISTRY_CONFIG] = _document(
        {app.registry_host: (app.registry.user, app.registry.password)})
    app.generated("web", "hello from HYS_REGISTRY_CONFIG")

    app.run("push:web")
    again = app.run("push:web")

    assert app.push_record("web")["digest"].startswith("sha256:")
    assert again.executed == []  # the registry probe read the pushed digest with that login
    app.extra_env[REGISTRY_CONFIG] = _document({"other.example": ("x", "y")})
    app.set_tag("web", "2.0")
    missing = app.run("push:web", check=False)
    assert missing.returncode != 0
    assert f"Cannot find {app.registry_host} credentials in the docker config given in " \
        f"{REGISTRY_CONFIG}" in missing.stderr
    assert_no_secret(app, app.registry.password, _auth(app.registry.user, app.registry.password))

