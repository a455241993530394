"""Invalid input gets HyScale's message and exit code 2, before anything is touched, and never a
traceback: names (app, namespace, service), -f/-p files, -o, --up/--down, -l."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.workspace import Workspace

APP_RULE = ("It must consist of lower case alphanumeric characters or '-', its length should be "
            "between 2 and 30.(regex used for validation is '([a-z0-9-]){2,30}')")
BAD_APP = f'[ERROR]  Invalid input:: Application name "My_App" is invalid. {APP_RULE}'
BAD_NAMESPACE = f'[ERROR]  Invalid input:: Namespace "x" is invalid. {APP_RULE}'
BAD_SERVICE = ('[ERROR]  Invalid input:: Service name "Web" is invalid. A service name must '
               "consist of lower case alphanumeric characters or '-', start with an alphabetic "
               "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
               "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")


@pytest.fixture
def spec(offline: Workspace) -> Path:
    return offline.prebuilt(offline.apps / "shop" / "web.hspec", "web", "registry.local/web:1")


def _commands(spec: Path, app: str, namespace: str, service: str) -> list[list[str]]:
    where = ["-a", app, "-n", namespace]
    return [
        ["deploy", "service", "-f", str(spec), *where],
        ["generate", "service", "manifests", "-f", str(spec), "-a", app],
        ["undeploy", "service", "-s", service, *where],
        ["undeploy", "app", *where],
        ["get", "service", "status", "-s", service, *where],
        ["get", "app", "status", *where],
        ["get", "service", "logs", "-s", service, *where],
        ["get", "replica", "status", "-s", service, *where],
        ["scale", "service", "-s", service, *where, "--to", "2"],
    ]


@pytest.mark.parametrize("index", range(9))
def test_an_invalid_app_name_gets_hyscales_message_and_exit_2(offline: Workspace, spec: Path,
                                                              index: int) -> None:
    result = offline.hyscale(*_commands(spec, "My_App", "shop", "web")[index], code=2)
    assert BAD_APP in result.stderr.splitlines()
    assert not offline.home.exists()  # nothing written, nothing run


@pytest.mark.parametrize("index", [0, 2, 3, 4, 5, 6, 7, 8])
def test_an_invalid_namespace_gets_hyscales_message(offline: Workspace, spec: Path,
                                                    index: int) -> None:
    result = offline.hyscale(*_commands(spec, "shop", "x", "web")[index], code=2)
    assert BAD_NAMESPACE in result.stderr.splitlines()


@pytest.mark.parametrize("index", [2, 4, 6, 7, 8])
def test_an_invalid_service_name_gets_hyscales_message(offline: Workspace, spec: Path,
                                                       index: int) -> None:
    result = offline.hyscale(*_commands(spec, "shop", "shop", "Web")[index], code=2)
    assert BAD_SERVICE in result.stderr.splitlines()


def test_every_invalid_value_is_reported_at_once(offline: Workspace) -> None:
    result = offline.hyscale("get", "service", "status", "-s", "ok,Web", "-a", "My_App", "-n", "x",
                             code=2)
    assert result.stderr.splitlines() == [BAD_APP, BAD_NAMESPACE, BAD_SERVICE]


def test_spec_files_must_exist_be_files_and_not_be_empty(offline: Workspace,
                                                         spec: Path) -> None:
    empty = offline.apps / "shop" / "empty.hspec"
    empty.write_text("")
    missing = offline.apps / "shop" / "missing.hspec"
    result = offline.hyscale("deploy", "service", "-f", f"{spec},{missing}", "-f",
                             str(offline.apps), "-f", str(empty), "-a", "shop", "-n", "shop",
                             code=2)
    assert result.stderr.splitlines() == [
        f"[ERROR]  Cannot find file {missing}",
        f"[ERROR]  Found directory {offline.apps} instead of file",
        f"[ERROR]  Empty file {empty} cannot be processed.",
    ]
    assert not offline.home.exists()


def test_profile_files_are_checked_the_same_way(offline: Workspace, spec: Path) -> None:
    result = offline.hyscale("generate", "service", "manifests", "-f", str(spec), "-a", "shop",
                             "-p", "nowhere/dev-web.hprof", code=2)
    assert result.stderr.strip() == \
        f"[ERROR]  Cannot find file {offline.apps.parent / 'nowhere' / 'dev-web.hprof'}"


def test_an_invalid_output_format(offline: Workspace, spec: Path) -> None:
    result = offline.hyscale("deploy", "service", "-f", str(spec), "-a", "shop", "-n", "shop",
                             "-o", "yaml", code=2)
    assert result.stdout == ""
    assert result.stderr.strip() == ('[ERROR]  Invalid input:: Output format "yaml" is invalid. '
                                     "Supported format is json.")
    assert offline.hyscale("get", "apps", "-o", "xml", code=2).stderr.startswith(
        '[ERROR]  Invalid input:: Output format "xml"')


def test_with_json_output_invalid_input_is_a_deployment_error(offline: Workspace,
                                                              spec: Path) -> None:
    result = offline.hyscale("deploy", "service", "-f", str(spec), "-a", "My_App", "-n", "x",
                             "-o", "json", code=2)
    assert result.json == {"deploymentError": ",".join(
        line.removeprefix("[ERROR]  ") for line in (BAD_APP, BAD_NAMESPACE))}


@pytest.mark.parametrize("option, message", [
    (["--up", "-1"], "INVALID VALUE -1 : must be greater than or equal to 0"),
    (["--to", "-3"], "INVALID VALUE -3 : must be greater than or equal to 0"),
    (["--down", "0"], "INVALID VALUE 0 : scale down by value must be greater than 0"),
])
def test_scale_values(offline: Workspace, option: list[str], message: str) -> None:
    result = offline.hyscale("scale", "service", "-s", "web", "-a", "shop", "-n", "shop", *option,
                             code=2)
    assert result.stderr.strip() == f"[ERROR]  {message}"


def test_log_lines(offline: Workspace) -> None:
    result = offline.hyscale("get", "service", "logs", "-s", "web", "-a", "shop", "-n", "shop",
                             "-l", "0", code=2)
    assert result.stderr.strip() == "[ERROR]  Logs lines must be more than 1"


def test_an_invalid_spec_stops_every_service_with_exit_2(offline: Workspace,
                                                         spec: Path) -> None:
    bad = offline.write(offline.apps / "shop" / "api.hspec",
                        {"name": "api", "image": {"registry": "registry.local", "name": "api",
                                                  "tag": "1"}, "ports": [{"port": "web"}]})
    result = offline.hyscale("generate", "service", "manifests", "-f", f"{spec},{bad}", "-a",
                             "shop", code=2)
    assert f"[ERROR]  {bad}:" in result.stderr and "ports[0].port" in result.stderr
    assert not (offline.service_dir("shop", "web") / "generated-files").exists()  # nothing rendered


def test_two_specs_of_one_service(offline: Workspace, spec: Path) -> None:
    twin = offline.prebuilt(offline.apps / "other" / "web.hspec", "web", "registry.local/web:1")
    result = offline.hyscale("generate", "service", "manifests", "-f", f"{spec},{twin}", "-a",
                             "shop", code=2)
    assert "Two specs define service 'web'" in result.stderr


def test_no_kubeconfig_is_exit_202(offline: Workspace) -> None:
    result = offline.hyscale("get", "app", "status", "-a", "shop", "-n", "shop", code=202)
    assert "[ERROR]  Cannot find kubeconfig(config) at" in result.stderr
    json_result = offline.hyscale("get", "apps", "-o", "json", code=202)
    assert json_result.json["error"].startswith("Cannot find kubeconfig(config) at")
