"""The examples of docs/ do what docs/cli.md says: the Makefile deploys, its dry-run check and
no-op check pass when nothing changed and fail on drift; the CI workflow's commands parse."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from hyscale_tasks.cli import COMMANDS, exits, parser
from testing.workspace import REPO, Workspace

DOCS = REPO / "docs"


def _make(cli: Workspace, target: str, app: str) -> subprocess.CompletedProcess[str]:
    python = shlex.quote(sys.executable)
    return subprocess.run(
        ["make", "--no-print-directory", "-f", str(DOCS / "Makefile.example"), target,
         f"APP={app}", f"APPS={cli.apps}", f"PYTHON={python}",
         f"HYSCALE={python} -m hyscale_tasks.cli", f"DOIT={python} -m doit -f {REPO / 'dodo.py'}"],
        cwd=cli.apps.parent, env=cli.env(), capture_output=True, text=True, timeout=300,
        check=False)


def test_makefile_deploy_check_and_noop(cli: Workspace, app_ns: str) -> None:
    assert shutil.which("make"), "needs GNU make (Debian package make) to run docs/Makefile.example"
    spec = cli.testapp(cli.apps / app_ns / "web.hspec", "web")
    deploy = _make(cli, "deploy", app_ns)
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    for target in ("check", "noop"):
        result = _make(cli, target, app_ns)
        assert result.returncode == 0, f"{target}: {result.stdout}{result.stderr}"
    assert "nothing to do" in _make(cli, "plan", app_ns).stdout

    cli.edit(spec, props={"GREETING": "edited, not deployed"})
    plan = _make(cli, "plan", app_ns)
    assert [line.split()[:2] for line in plan.stdout.splitlines() if line.startswith("R ")] == \
        [["R", "spec:web"]]
    assert _make(cli, "check", app_ns).returncode != 0
    noop = _make(cli, "noop", app_ns)
    assert noop.returncode != 0
    assert "drift, these had to run: web:spec (web.hspec changed); web:manifests (prop GREETING " \
        "changed)" in noop.stderr
    assert _make(cli, "check", app_ns).returncode == 0  # the noop target deployed it


def test_ci_workflow_commands_parse() -> None:
    workflow = yaml.safe_load((DOCS / "ci-workflow.example.yml").read_text())
    commands = [line.strip() for step in workflow["jobs"]["deploy"]["steps"]
                for line in str(step.get("run", "")).splitlines()
                if line.strip().startswith("hyscale ")]
    assert len(commands) == 3
    env = {"$APP": "hello", "$NS": "hello"}
    for command in commands:
        words = [env.get(word, word).replace("$APP", "hello")
                 for word in shlex.split(command.split("|")[0].split(">")[0])]
        assert parser.parse(words[1:]).command in ("deploy service", "get app status")


def test_cli_doc_names_every_command_and_exit_code() -> None:
    text = (DOCS / "cli.md").read_text()
    for command in COMMANDS:
        assert f"`{command}" in text, command
    for code in (exits.OK, exits.UNEXPECTED, exits.INVALID_INPUT, exits.FAILED,
                 exits.INTERRUPTED, exits.NO_CLUSTER_ACCESS):
        assert f"| {code} |" in text, code
    assert Path(DOCS / "Makefile.example").is_file()
