"""A pull the registry refused: the troubleshooter's fix names the source the tool reads logins
from, ``docker login`` (HyScale's words) or the docker config given in HYS_REGISTRY_CONFIG. The
pods are the troubleshooter's view of the kubelet's report, made here: no cluster is needed."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from hyscale_tasks.cluster.diagnose import _image_pull, _pull_secret_unread
from hyscale_tasks.cluster.pods import ContainerState
from hyscale_tasks.registry_logins import REGISTRY_CONFIG

IMAGE = "registry.example:5000/shop/web:1"
REFUSED = f'failed to pull and unpack image "{IMAGE}": 401 Unauthorized'
GIVEN = f"the docker config given in {REGISTRY_CONFIG}"
# The kubelet could not read the pod's image pull secret (and pulled without it).
UNREAD = SimpleNamespace(reason="FailedToRetrieveImagePullSecret", message="")


def _pod(secrets: list[str]) -> Any:
    return SimpleNamespace(
        metadata=SimpleNamespace(name="web-1", namespace="shop"),
        spec=SimpleNamespace(image_pull_secrets=[SimpleNamespace(name=s) for s in secrets]))


def _container() -> ContainerState:
    return ContainerState(name="web", image=IMAGE, ready=False, restarts=0,
                          waiting="ImagePullBackOff", waiting_message=REFUSED, terminated=None,
                          last_terminated=None, last_exit_code=None, last_message="",
                          memory_limit=None)


@pytest.fixture
def docker_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    monkeypatch.delenv(REGISTRY_CONFIG, raising=False)
    return tmp_path / "config.json"


def test_without_the_setting_the_fixes_are_docker_login(docker_config: Path) -> None:
    missing = _image_pull(None, _pod([]), _container(), REFUSED)
    assert f"there is no login for registry.example:5000 in {docker_config}" in missing.reason
    assert missing.fix.startswith("Run 'docker login registry.example:5000' (the tool makes")
    refused = _image_pull(None, _pod(["registry-secret"]), _container(), REFUSED)
    assert refused.fix == (f"Check them at {docker_config} ('docker login "
                           "registry.example:5000' again) and redeploy")
    said = _pull_secret_unread(_pod(["registry-secret"]), _container(), [UNREAD])
    assert said is not None and said.fix.startswith(
        "Redeploy: the tool makes the image pull secret from your 'docker login "
        "registry.example:5000' (")


def test_with_the_setting_no_fix_says_docker_login(docker_config: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REGISTRY_CONFIG, '{"auths": {}}')
    missing = _image_pull(None, _pod([]), _container(), REFUSED)
    assert f"there is no login for registry.example:5000 in {GIVEN}" in missing.reason
    assert missing.fix.startswith(f'Add an entry for registry.example:5000 under "auths" in {GIVEN}')
    refused = _image_pull(None, _pod(["registry-secret"]), _container(), REFUSED)
    assert refused.fix == f"Check them in {GIVEN} and redeploy"
    said = _pull_secret_unread(_pod(["registry-secret"]), _container(), [UNREAD])
    assert said is not None and f"the login for registry.example:5000 in {GIVEN}" in said.fix
    assert all("docker login" not in text for text in (missing.fix, refused.fix, said.fix))
