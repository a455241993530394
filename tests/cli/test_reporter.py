"""The JSON-lines doit reporter (``doit -r jsonl``, registered here through a doit.cfg as
docs/cli.md shows) and the reasons it gives: one event per task start, skip, success and
failure, each on its own line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hyscale_tasks.tasks.reasons import changed_fields, describe
from hyscale_tasks.tasks.uptodate import OutputsIntact
from testing.workspace import REPO, Workspace

DOIT_CFG = "[REPORTER]\njsonl = hyscale_tasks.tasks.reporter:JsonLinesReporter\n"


def _events(cli: Workspace, *args: str, code: int = 0) -> list[dict[str, Any]]:
    """``doit -r jsonl`` run from a folder whose doit.cfg registers the reporter."""
    folder = cli.apps.parent / "doit-cwd"
    folder.mkdir(exist_ok=True)
    (folder / "doit.cfg").write_text(DOIT_CFG)
    result = subprocess.run([sys.executable, "-m", "doit", "-f", str(REPO / "dodo.py"), "-r",
                             "jsonl", f"apps={cli.apps}", "app=shop", *args],
                            cwd=folder, env=cli.env(), capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == code, result.stdout + result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def _by_task(events: list[dict[str, Any]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for event in events:
        if "task" in event:
            found.setdefault(event["task"], []).append(event["event"])
    return found


@pytest.fixture
def spec(offline: Workspace) -> Path:
    return offline.prebuilt(offline.apps / "shop" / "web.hspec", "web", "registry.local/web:1")


def test_one_event_per_line_from_start_to_done(offline: Workspace, spec: Path) -> None:
    events = _events(offline, "manifests:web")
    assert _by_task(events) == {"spec:web": ["start", "success"],
                                "manifests:web": ["start", "success"]}
    start = events[0]
    assert (start["stage"], start["service"], start["reason"]) == \
        ("spec", "web", "first run (no successful run recorded)")
    assert isinstance(start["time"], float) and isinstance(events[1]["seconds"], float)
    assert events[-1] == {"event": "done", "ran": 2, "skipped": 0, "failed": 0,
                          "result": "success"}

    again = _events(offline, "manifests:web")
    assert [(e["event"], e.get("reason")) for e in again[:-1]] == [("skip", "up to date")] * 2
    offline.edit(spec, props={"GREETING": "bonjour"})
    reasons = {e["task"]: e["reason"] for e in _events(offline, "manifests:web")
               if e["event"] == "start"}
    assert reasons == {"spec:web": "web.hspec changed", "manifests:web": "prop GREETING changed"}


def test_failures_and_what_they_leave_unrun(offline: Workspace, spec: Path) -> None:
    offline.edit(spec, ports=[{"port": "web"}])
    events = _events(offline, "--continue", "manifests:web", code=2)
    failures = {e["task"]: e for e in events if e["event"] == "failure"}
    assert failures["spec:web"]["kind"] == "TaskFailed"
    assert "ports[0].port" in failures["spec:web"]["message"]
    assert failures["manifests:web"]["kind"] == "UnmetDependency"
    assert events[-1]["result"] == "failure"


def test_parallel_runs_report_from_the_main_process(offline: Workspace, spec: Path) -> None:
    offline.prebuilt(offline.apps / "shop" / "api.hspec", "api", "registry.local/api:1")
    events = _events(offline, "-n", "2", "-P", "process", "manifests")
    assert {task: kinds for task, kinds in _by_task(events).items()} == {
        f"{stage}:{svc}": ["start", "success"] for stage in ("spec", "manifests")
        for svc in ("api", "web")}


def test_the_jsonl_entry_point_once_installed(offline: Workspace, spec: Path) -> None:
    """With ``[project.entry-points."doit.REPORTER"] jsonl = ...`` in pyproject.toml and the
    package reinstalled, ``doit -r jsonl`` works from any folder, no doit.cfg needed."""
    from importlib.metadata import entry_points

    assert "jsonl" in {entry.name for entry in entry_points(group="doit.REPORTER")}, \
        "the doit.REPORTER entry point 'jsonl' is not installed: pip install -e '.[test]'"
    result = subprocess.run([sys.executable, "-m", "doit", "-f", str(REPO / "dodo.py"), "-r",
                             "jsonl", f"apps={offline.apps}", "app=shop", "spec:web"],
                            cwd=offline.apps.parent, env=offline.env(), capture_output=True,
                            text=True, timeout=120, check=True)
    assert json.loads(result.stdout.splitlines()[-1])["event"] == "done"


def test_reasons_name_fields_never_values() -> None:
    old = {"spec": {"props": {"A": "1", "B": "2"}, "secrets": {"TOKEN": "s3cret"},
                    "ports": [{"port": "80"}]}, "files": {"motd.txt": "aGk="}}
    new = {"spec": {"props": {"A": "1", "B": "3"}, "secrets": {"TOKEN": "n3w"},
                    "ports": [{"port": "81"}], "replicas": 2}, "files": {"motd.txt": "aGV5"}}
    assert changed_fields(old, new) == ["prop B", "secret TOKEN", "ports[0].port", "replicas",
                                        "file motd.txt"]
    assert "s3cret" not in str(changed_fields(old, new))
    assert describe(OutputsIntact(Path("/x/index.json"))) == \
        "no longer true: generated files listed in /x/index.json are present and unedited"
