"""Where the tool reads registry logins from, and the fix a message gives: ``docker login``
writes the docker config file, which a run given HYS_REGISTRY_CONFIG never reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from hyscale_tasks.registry_logins import (
    REGISTRY_CONFIG,
    login_fix,
    login_source,
    reads_registry_config,
)

DOCUMENT = '{"auths": {}}'


@pytest.mark.parametrize("value", [None, "", " false ", "FALSE"])
def test_without_the_setting_the_fix_is_docker_login(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path, value: str | None) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    if value is None:
        monkeypatch.delenv(REGISTRY_CONFIG, raising=False)
    else:
        monkeypatch.setenv(REGISTRY_CONFIG, value)
    assert not reads_registry_config()
    assert login_source() == str(tmp_path / "config.json")
    assert login_fix("host:5000") == "run 'docker login host:5000'"


@pytest.mark.parametrize("value", ["true", DOCUMENT])
def test_with_the_setting_the_fix_is_an_entry_in_its_document(monkeypatch: pytest.MonkeyPatch,
                                                              value: str) -> None:
    monkeypatch.setenv(REGISTRY_CONFIG, value)
    assert reads_registry_config()
    assert login_source() == f"the docker config given in {REGISTRY_CONFIG}"
    assert login_fix("host:5000") == \
        f'add an entry for host:5000 under "auths" in the docker config given in {REGISTRY_CONFIG}'
    assert "docker login" not in login_fix("host:5000")
