"""ImagePullSecretHandler without a login for the registry: HyScale's warning, which names the
fix in the source the tool reads logins from (docker login, or HYS_REGISTRY_CONFIG's document)."""

from __future__ import annotations

import pytest

from hyscale_tasks.manifests.plugins.pull_secret import IMAGE_PULL_SECRET
from hyscale_tasks.registry_logins import REGISTRY_CONFIG
from testing.manifests import render

SPEC = {"name": "web", "image": {"registry": "gcr.io", "name": "web", "tag": "1"}}


def test_without_a_login_it_warns_as_hyscale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REGISTRY_CONFIG, raising=False)
    manifests, warnings = render(IMAGE_PULL_SECRET, SPEC)
    assert manifests == {}
    assert warnings == ["Missing credentials for the registry gcr.io. Please perform 'docker "
                        "login gcr.io ' to continue with the deployment"]


def test_without_a_login_in_the_setting_it_names_the_setting(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REGISTRY_CONFIG, '{"auths": {}}')
    manifests, warnings = render(IMAGE_PULL_SECRET, SPEC)
    assert manifests == {}
    assert warnings == ["Missing credentials for the registry gcr.io. Please add an entry for "
                        "gcr.io under \"auths\" in the docker config given in "
                        f"{REGISTRY_CONFIG} to continue with the deployment"]
