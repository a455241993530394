"""Profiles as HyScale selects them: ``-P NAME`` looks beside each spec and in profiles/, ``-p``
takes files anywhere and matches them by ``overrides``; HyScale's messages when that fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from testing.workspace import Workspace


def _deployment(cli: Workspace, app: str, service: str) -> dict[str, Any]:
    path = cli.service_dir(app, service) / "generated-files" / "manifests" / "deployment.yaml"
    return dict(yaml.safe_load(path.read_text()))


def _env(cli: Workspace, app: str, service: str) -> str:
    return str(_deployment(cli, app, service)["metadata"]["labels"]["hyscale.io/environment-name"])


def _shop(cli: Workspace) -> Path:
    return cli.add_app("shop")


def test_named_profile_from_the_profiles_folder(offline: Workspace) -> None:
    shop = _shop(offline)
    result = offline.hyscale("generate", "service", "manifests", "-f",
                             f"{shop / 'cart.hspec'},{shop / 'frontend.hspec'}", "-a", "shop",
                             "-P", "prod")
    assert '[ACTION]  Applying profile "prod" for service "frontend" ' in result.stdout
    assert _env(offline, "shop", "frontend") == "prod"
    assert _deployment(offline, "shop", "frontend")["spec"]["replicas"] == 3
    # the same tasks and state as doit's profile=: nothing left to do
    rerun = offline.doit_app("shop", "profile=prod", "manifests:frontend", "manifests:cart")
    assert rerun.executed == []


def test_every_service_needs_its_named_profile(offline: Workspace) -> None:
    shop = _shop(offline)
    lonely = offline.prebuilt(shop / "lonely.hspec", "lonely", "registry.local/lonely:1")
    other = offline.prebuilt(offline.apps / "other" / "misc.hspec", "misc", "registry.local/m:1")
    result = offline.hyscale("generate", "service", "manifests", "-f",
                             f"{shop / 'cart.hspec'},{lonely},{other}", "-a", "shop", "-P", "prod",
                             code=2)
    assert result.stderr.strip() == "[ERROR]  Profile not found for services lonely,misc"


def test_one_profile_per_service(offline: Workspace) -> None:
    shop = _shop(offline)
    (shop / "prod-cart.hprof").write_text((shop / "profiles" / "prod-cart.hprof").read_text())
    result = offline.hyscale("generate", "service", "manifests", "-f", str(shop / "cart.hspec"),
                             "-a", "shop", "-P", "prod", code=2)
    assert result.stderr.strip() == "[ERROR]  Service cart cannot have multiple profiles"


def test_named_profile_must_be_for_its_environment(offline: Workspace) -> None:
    shop = _shop(offline)
    (shop / "profiles" / "qa-cart.hprof").write_text("environment: stage\noverrides: cart\n")
    result = offline.hyscale("generate", "service", "manifests", "-f", str(shop / "cart.hspec"),
                             "-a", "shop", "-P", "qa", code=2)
    assert result.stderr.strip() == ("[ERROR]  Profile name mismatched with environment in "
                                     f"{shop / 'profiles' / 'qa-cart.hprof'}")


def test_profile_files_anywhere_are_matched_by_overrides(offline: Workspace) -> None:
    shop = _shop(offline)
    stage = offline.write(offline.apps.parent / "envs" / "stage-cart.hprof",
                          {"environment": "stage", "overrides": "cart", "replicas": 2,
                           "props": {"MODE": "staging"}})
    args = ["generate", "service", "manifests", "-f", f"{shop / 'cart.hspec'},"
            f"{shop / 'catalog.hspec'}", "-a", "shop", "-p", str(stage)]
    result = offline.hyscale(*args)
    assert '[ACTION]  Applying profile "stage" for service "cart" ' in result.stdout
    assert (_env(offline, "shop", "cart"), _env(offline, "shop", "catalog")) == ("stage", "dev")
    assert _deployment(offline, "shop", "cart")["spec"]["replicas"] == 2
    assert offline.hyscale(*args).stages("cart") == {"spec": "up to date",
                                                     "manifests": "up to date"}
    offline.edit(stage, props={"MODE": "staging-2"})
    assert offline.hyscale(*args).stages("cart") == {
        "spec": "stage-cart.hprof changed", "manifests": "prop MODE changed"}


def test_profile_files_for_unknown_services_or_twice_for_one(offline: Workspace) -> None:
    shop = _shop(offline)
    cart = str(shop / "cart.hspec")
    result = offline.hyscale("generate", "service", "manifests", "-f", cart, "-a", "shop", "-p",
                             str(shop / "profiles" / "dev-catalog.hprof"), code=2)
    assert result.stderr.strip() == "[ERROR]  Services [catalog] mentioned in profile are not found"
    twice = offline.hyscale("generate", "service", "manifests", "-f", cart, "-a", "shop", "-p",
                            f"{shop / 'profiles' / 'dev-cart.hprof'},"
                            f"{shop / 'profiles' / 'prod-cart.hprof'}", code=2)
    assert twice.stderr.strip() == "[ERROR]  Service cart cannot have multiple profiles"


def test_an_invalid_profile_is_invalid_input(offline: Workspace) -> None:
    shop = _shop(offline)
    broken = offline.apps.parent / "dev-cart.hprof"
    broken.write_text("environment: dev\noverrides: cart\nreplicas: [\n")
    result = offline.hyscale("generate", "service", "manifests", "-f", str(shop / "cart.hspec"),
                             "-a", "shop", "-p", str(broken), code=2)
    assert result.stderr.startswith(f"[ERROR]  {broken}:")
