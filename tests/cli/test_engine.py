"""The command's doit runs (cli/engine.py), in this process, on the workspace's state."""

from __future__ import annotations

from pathlib import Path

import pytest

from hyscale_tasks.cli import engine
from hyscale_tasks.cli.console import Console
from hyscale_tasks.cli.progress import Progress, ServiceResult
from testing.workspace import SCRUBBED, Workspace


def _run(target: engine.Target, tasks: list[str]) -> tuple[int, ServiceResult]:
    progress = Progress(Console(quiet=True), "manifests", lambda result: None)
    code = engine.run(target, tasks, progress)
    return code, progress.results["web"]


def _ran(result: ServiceResult) -> dict[str, str]:
    return {stage["stage"]: stage["reason"] for stage in result.stages if stage["ran"]}


def test_a_stage_a_failure_kept_from_running_keeps_its_last_run(
        offline: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Under --continue doit forgets a task that a failure kept from running; the command keeps
    it, as doit does without --continue: once the failure is mended, it is up to date."""
    for name in SCRUBBED:
        monkeypatch.delenv(name, raising=False)
    for name, value in offline.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    spec = offline.prebuilt(offline.apps / "shop" / "web.hspec", "web", "registry.local/web:1")
    target = engine.Target("shop", "shop", (spec,))
    assert _run(target, ["manifests:web"])[0] == 0
    good = spec.read_bytes()

    spec.write_text(good.decode().replace("8080/http", "web"))  # a port that is not one
    code, failed = _run(target, ["manifests:web"])
    assert code != 0 and failed.failed_stage == "spec"
    assert [s["reason"] for s in failed.stages if s["stage"] == "manifests"] == \
        ["not run, spec:web did not succeed"]

    spec.write_bytes(good)
    code, mended = _run(target, ["manifests:web"])
    assert code == 0
    assert list(_ran(mended)) == ["spec"]  # the failed stage runs again, and nothing else
