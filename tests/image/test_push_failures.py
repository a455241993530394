"""A push that cannot happen fails cleanly: before anything is pushed when the login is wrong or
missing, with a message that names the registry and the fix, no traceback, no push record; and
a registry refusal in the middle of the push stream (an error *event*, not an exception) is caught.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from tests.doit_runner import DoitResult
from tests.image.apps import ImageApp, assert_no_secret
from tests.image.conftest import NewApp
from tests.infra.registry import Registry, write_docker_config
from tests.infra.relay import Relay

pytestmark = pytest.mark.docker

# One content for the apps here: docker's cache builds it once for all of them.
CONTENT = "an image whose push fails\n"


def assert_failed_cleanly(result: DoitResult, app: ImageApp, registry_host: str) -> None:
    assert result.returncode == 1, result
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert registry_host in result.stderr
    paths = app.paths("web")
    assert paths.build_record.exists()  # the build went fine
    assert not paths.push_record.exists()


def assert_nothing_pushed(app: ImageApp, registry: Registry, docker_client: Any) -> None:
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
