"""A push that cannot happen fails cleanly: before anything is pushed when the login is wrong or
missing, with a message that names the registry and the fix, no traceback, no push record; and
a registry refusal in the middle of the push stream (an error *event*, not an exception) is caught.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from testing.registry import Registry, write_docker_config
from testing.relay import Relay
from testing.workspace import DoitResult, NewApp, Workspace, assert_no_secret

pytestmark = pytest.mark.docker

# One content for the apps here: docker's cache builds it once for all of them.
CONTENT = "an image whose push fails\n"


def assert_failed_cleanly(result: DoitResult, app: Workspace, registry_host: str) -> None:
    assert result.returncode == 1, result
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert registry_host in result.stderr
    paths = app.paths("web")
    assert paths.build_record.exists()  # the build went fine
    assert not paths.push_record.exists()


def assert_nothing_pushed(app: Workspace, registry: Registry, docker_client: Any) -> None:
    assert registry.tags(app.repository("web")) == []
    assert not app.paths("web").push_log.exists()  # the push never started
    tags = docker_client.images.get(app.local_tag("web")).tags
    assert f"{app.registry_host}/{app.repository('web')}:1.0" not in tags  # not even tagged


def test_wrong_password_fails_before_any_push_and_a_fixed_login_converges(
        new_app: NewApp, registry: Registry, docker_client: Any) -> None:
    app = new_app("wrongpw", login="wrong")
    app.generated("web", CONTENT)
    result = app.run("push:web", check=False)
    assert_failed_cleanly(result, app, registry.host)
    assert f"docker login {registry.host}" in result.stderr
    assert_nothing_pushed(app, registry, docker_client)
    wrong = f"wrong-{registry.password[::-1]}"
    assert_no_secret(app, wrong, registry.password)
    write_docker_config(app.docker_config, {registry.host: (registry.user, registry.password)})
    fixed = app.run("push:web")
    assert fixed.executed == ["push:web"]  # the build is not repeated
    assert registry.served_digest(app.repository("web"), "1.0") == app.push_record("web")["digest"]


def test_missing_login_fails_before_any_push(new_app: NewApp, registry: Registry,
                                             docker_client: Any) -> None:
    app = new_app("nologin", login=None)
    assert not (app.docker_config / "config.json").exists()
    app.generated("web", CONTENT)
    result = app.run("push:web", check=False)
    assert_failed_cleanly(result, app, registry.host)
    assert f"docker login {registry.host}" in result.stderr
    assert_nothing_pushed(app, registry, docker_client)


def _unreachable_registry() -> str:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def test_unreachable_registry_fails_with_a_clear_error(new_app: NewApp) -> None:
    host = _unreachable_registry()
    app = new_app("down", registry_host=host)  # with a login for it
    app.generated("web", CONTENT)
    result = app.run("push:web", check=False)
    assert_failed_cleanly(result, app, host)
    assert "connection refused" in result.stderr.lower()


def test_unreachable_registry_is_not_blamed_on_the_login(new_app: NewApp) -> None:
    host = _unreachable_registry()
    app = new_app("down2", registry_host=host)
    app.generated("web", CONTENT)
    result = app.run("push:web", check=False)
    assert result.returncode == 1
    assert "docker login" not in result.stderr
    assert "authenticate" not in result.stderr


DENIED = (b'{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}')
FORBIDDEN = (b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n"
             b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(DENIED), DENIED))


def test_registry_refusal_inside_the_push_stream_fails_the_push(
        new_app: NewApp, registry: Registry, registry_relay: Relay) -> None:
    """The login is accepted and the layers go up, then the registry answers the manifest PUT
    with 403: docker reports it as an error event in the push stream (no exception), which must
    fail the stage. (A refused blob upload would do too, but docker retries those for ~50 s.)"""
    app = new_app("refused", registry_host=registry_relay.host)
    app.generated("web", f"refused {app.name}")
    registry_relay.answer(lambda method, path: method == "PUT" and "/manifests/" in path, FORBIDDEN)
    result = app.run("push:web", check=False)
    assert_failed_cleanly(result, app, registry_relay.host)
    assert "denied" in result.stderr
    assert "denied" in app.paths("web").push_log.read_text()
    assert registry.tags(app.repository("web")) == []
    registry_relay.answer(None)
    assert app.run("push:web").executed == ["push:web"]
    assert registry.served_digest(app.repository("web"), "1.0") == app.push_record("web")["digest"]


UNAVAILABLE = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
               b"Content-Length: 12\r\nConnection: close\r\n\r\nmaintenance\n")
REGISTRY_TIMEOUT = "2"  # seconds: HYS_REGISTRY_TIMEOUT for the tests with a registry that hangs


def _everything(method: str, path: str) -> bool:
    return True


def _make_unavailable(relay: Relay, how: str) -> None:
    if how == "503":
        relay.answer(_everything, UNAVAILABLE)
    else:
        relay.hold(_everything)  # the requests reach the relay and are never answered


def _make_available(relay: Relay) -> None:
    relay.answer(None)
    relay.release()


def _unavailable_said(how: str) -> str:
    return "answered HTTP 503 Service Unavailable" if how == "503" else \
        f"did not answer within {REGISTRY_TIMEOUT} s"


@pytest.mark.parametrize("how", ["503", "no-answer"])
def test_a_registry_that_is_down_is_said_to_be_down_not_blamed_on_the_login(
        new_app: NewApp, registry: Registry, registry_relay: Relay, how: str) -> None:
    app = new_app(f"down-{how}", registry_host=registry_relay.host)
    app.extra_env["HYS_REGISTRY_TIMEOUT"] = REGISTRY_TIMEOUT
    app.generated("web", f"registry down {app.name}")
    _make_unavailable(registry_relay, how)
    result = app.run("push:web", check=False)
    _make_available(registry_relay)
    assert_failed_cleanly(result, app, registry_relay.host)
    assert f"[ERROR]  Registry {registry_relay.host} is unavailable: it {_unavailable_said(how)}." \
        in result.stderr, result.stderr
    assert "fix: wait until the registry is back" in result.stderr
    assert "docker login" not in result.stderr and "authenticate" not in result.stderr
    assert registry.tags(app.repository("web")) == []
    fixed = app.run("push:web")  # back up: the push goes through, the build is not repeated
    assert fixed.executed == ["push:web"]
    assert registry.served_digest(app.repository("web"), "1.0") == app.push_record("web")["digest"]


@pytest.mark.parametrize("how", ["503", "no-answer"])
def test_nothing_to_push_needs_no_registry(new_app: NewApp, registry_relay: Relay,
                                           docker_relay: Relay, how: str) -> None:
    """Pushed already, then the registry goes down: the run that has nothing to push goes on,
    with the pinned digest it had, says the registry could not be asked, and asks the Docker
    engine nothing (no login check, no push)."""
    app = new_app(f"nopush-{how}", registry_host=registry_relay.host)
    app.extra_env["HYS_REGISTRY_TIMEOUT"] = REGISTRY_TIMEOUT
    app.generated("web", f"nothing to push {app.name}")
    app.run("push:web", "manifests:web")
    pinned = app.deployed_image("web")
    _make_unavailable(registry_relay, how)
    app.extra_env["DOCKER_HOST"] = docker_relay.url
    docker_relay.reset()
    result = app.run("push:web", "manifests:web", check=False)
    _make_available(registry_relay)
    assert result.returncode == 0, result
    assert "Traceback" not in result.stdout + result.stderr
    assert result.executed == []
    warnings = [line for line in result.stderr.splitlines() if line.startswith("[WARN]")]
    assert warnings == [f"[WARN]  Registry {registry_relay.host} is unavailable (it "
                        f"{_unavailable_said(how)}): taking {pinned} as still pushed; nothing is "
                        "pushed now."], result.stderr
    assert app.deployed_image("web") == pinned
    assert docker_relay.snapshot() == (0, [])
