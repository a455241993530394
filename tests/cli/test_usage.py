"""The command tree: every command and group answers --help; a group alone prints its usage and
exits 2; --version; HyScale's option spellings; command words in any case."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hyscale_tasks.cli import parser
from testing.workspace import REPO, Workspace

COMMANDS = [
    "deploy service", "deploy services", "generate service manifests", "generate services manifest",
    "undeploy service", "undeploy app", "get service status", "get services status",
    "get service logs", "get service log", "get app status", "get apps status", "get apps",
    "get app", "get replica status", "get replicas status", "scale service",
]
GROUPS = ["", "deploy", "generate", "generate service", "undeploy", "get", "get service",
          "get replica", "scale"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(offline: Workspace, command: str) -> None:
    result = offline.hyscale(*command.split(), "--help")
    assert result.stdout.startswith(f"usage: hyscale {command.split()[0]}")  # aliases: the name


@pytest.mark.parametrize("group", GROUPS)
def test_a_group_without_its_command_prints_usage_and_exits_2(offline: Workspace,
                                                              group: str) -> None:
    result = offline.hyscale(*group.split(), code=2)
    assert result.stderr.startswith("usage: hyscale")
    assert offline.hyscale(*group.split(), "-h").stdout.startswith("usage: hyscale")


def test_version(offline: Workspace) -> None:
    for flag in ("--version", "-V"):
        line = offline.hyscale(flag).stdout.strip()
        assert line.startswith('HyScale Version 0.1.0 "hyscale-tasks", build ')
        assert len(line.rsplit(" ", 1)[1]) == 10 or line.endswith("unknown")


def test_command_words_in_any_case_and_codes_spellings() -> None:
    args = parser.parse(["Deploy", "SERVICES", "--files", "a.hspec,b.hspec", "-f", "c.hspec",
                         "--app", "shop", "-ns", "prod", "-verbose", "--output", "json"])
    assert args.command == "deploy service"
    assert (args.files, args.app, args.namespace, args.verbose, args.output) == \
        (["a.hspec", "b.hspec", "c.hspec"], "shop", "prod", True, "json")
    status = parser.parse(["get", "service", "status", "-s", "a,b", "-s", "c",
                           "--application", "shop", "--namespace", "prod"])
    assert (status.command, status.services, status.app) == ("get service status",
                                                             ["a", "b", "c"], "shop")
    assert parser.parse(["get", "apps", "status", "-a", "shop", "-n", "prod"]).command == \
        "get app status"
    assert parser.parse(["get", "apps"]).command == "get apps"
    logs = parser.parse(["get", "service", "log", "-s", "web", "-a", "shop", "-n", "prod",
                         "-l", "5", "-t", "-r", "web-1"])
    assert (logs.command, logs.lines, logs.tail, logs.replica) == ("get service logs", 5, True,
                                                                   "web-1")
    profiles = parser.parse(["generate", "service", "manifests", "-f", "a.hspec", "-a", "shop",
                             "-p", "dev-a.hprof,dev-b.hprof", "--profile", "dev-c.hprof"])
    assert profiles.profile_files == ["dev-a.hprof", "dev-b.hprof", "dev-c.hprof"]


@pytest.mark.parametrize("args, complaint", [
    (["deploy", "service", "-a", "shop", "-n", "prod"], "-f/--files"),
    (["deploy", "service", "-f", "a.hspec", "-n", "prod"], "-a/--app"),
    (["deploy", "service", "-f", "a.hspec", "-a", "shop"], "-n/--namespace"),
    (["deploy", "service", "-f", "a.hspec", "-a", "shop", "-n", "prod", "-p", "x.hprof", "-P",
      "dev"], "not allowed with"),
    (["scale", "service", "-s", "web", "-a", "shop", "-n", "prod"], "one of the arguments"),
    (["scale", "service", "-s", "web", "-a", "shop", "-n", "prod", "--up", "1", "--to", "2"],
     "not allowed with"),
    (["scale", "service", "-s", "web", "-a", "shop", "-n", "prod", "--to", "two"], "invalid int"),
    (["get", "service", "status", "-a", "shop", "-n", "prod"], "-s/--service"),
    (["get", "apps", "--bogus"], "unrecognized arguments"),
    (["fly"], "invalid choice"),
])
def test_usage_errors_exit_2_with_the_usage(offline: Workspace, args: list[str],
                                            complaint: str) -> None:
    result = offline.hyscale(*args, code=2)
    assert "usage: hyscale" in result.stderr
    assert complaint in result.stderr


def test_the_console_script_and_a_cheap_start() -> None:
    """`hyscale` is the package's console script; importing the CLI loads neither docker nor
    kubernetes (--help and --version stay fast)."""
    probe = ("import sys, hyscale_tasks.cli as cli; "
             "print(sorted(m for m in ('docker', 'kubernetes') if m in sys.modules)); "
             "print(cli.main.__module__)")
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True,
                            text=True, check=True)
    assert result.stdout.split() == ["[]", "hyscale_tasks.cli"]


def test_main_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    """Embedded: main() returns the exit code and leaves the SIGTERM handler as it found it."""
    import signal

    from hyscale_tasks.cli import main

    before = signal.getsignal(signal.SIGTERM)
    assert main(["get"]) == 2
    assert capsys.readouterr().err.startswith("usage: hyscale get")
    assert main(["--version"]) == 0
    assert main(["get", "apps", "-o", "yaml"]) == 2
    assert signal.getsignal(signal.SIGTERM) == before
