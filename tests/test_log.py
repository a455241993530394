"""The tool log: one file per run under $HYSCALE_HOME/logs, at HYS_LOG_LEVEL, the newest kept,
with the run's command, its stages and their reasons, its errors, and no secret value.

The runs render (``doit app=hello``, ``hyscale generate``): no Docker, no cluster."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from hyscale_tasks import log
from testing.workspace import REPO, DoitResult, Workspace

SECRET_PASSWORD = "log-test-pw-5531"


def _doit(workspace: Workspace, *args: str, **env: str) -> DoitResult:
    workspace.extra_env.update(env)
    try:
        return workspace.doit("app=hello", *args, check=False)
    finally:
        for name in env:
            workspace.extra_env.pop(name)


def _logs(workspace: Workspace) -> list[Path]:
    folder = workspace.home / "logs"
    return sorted(path for path in folder.glob("*Z-*.log")) if folder.is_dir() else []


def _latest(workspace: Workspace) -> str:
    return (workspace.home / "logs" / log.LATEST).read_text()


def test_each_run_writes_its_own_owner_only_file_with_command_stages_and_reasons(
        workspace: Workspace) -> None:
    workspace.add_app("hello")
    _doit(workspace)
    (workspace.apps / "hello" / "web.hspec").write_text(
        (workspace.apps / "hello" / "web.hspec").read_text().replace(
            "Hello from HyScale", "Hello again"))

    _doit(workspace)

    first, second = _logs(workspace)
    assert (workspace.home / "logs" / log.LATEST).resolve() == second
    text = second.read_text()
    assert f"INFO  run: doit -f {REPO / 'dodo.py'} apps={workspace.apps} app=hello" in text
    assert "INFO  spec:web started: " in text and "INFO  spec:web finished in " in text
    assert "INFO  manifests:web started: prop GREETING changed" in text
    assert "INFO  run succeeded: 2 ran," in text
    assert "up to date\n" not in text.replace("0 up to date", "")  # skips only at debug
    assert "first run" in first.read_text()
    for path in (first, second):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((workspace.home / "logs").stat().st_mode) == 0o700


def test_loading_tasks_writes_no_log(workspace: Workspace) -> None:
    workspace.add_app("hello")
    workspace.doit("list", "app=hello")
    assert _logs(workspace) == []


def test_the_level_is_hyscale_s(workspace: Workspace) -> None:
    workspace.add_app("hello")
    _doit(workspace)

    _doit(workspace, HYS_LOG_LEVEL="DEBUG")
    assert "DEBUG spec:web up to date" in _latest(workspace)
    assert "DEBUG setting HYS_LOG_LEVEL=DEBUG" in _latest(workspace)

    broken = workspace.apps / "hello" / "web.hspec"
    broken.write_text(broken.read_text().replace("name: web", "name: Web_"))
    failed = _doit(workspace, HYS_LOG_LEVEL="error")
    assert failed.returncode != 0
    # the lines that start with a timestamp, then the level (an error's "fix:" lines follow it)
    lines = [line for line in _latest(workspace).splitlines() if line[:4].isdigit()]
    assert [line.split()[2] for line in lines] == ["ERROR"]
    assert "spec:web failed after" in lines[0] and "Web_" in _latest(workspace)

    count = len(_logs(workspace))
    _doit(workspace, HYS_LOG_LEVEL="off")
    assert len(_logs(workspace)) == count

    unknown = _doit(workspace, HYS_LOG_LEVEL="chatty")
    assert "[WARN]  HYS_LOG_LEVEL=chatty is not a level" in unknown.stderr
    assert "INFO  run: " in _latest(workspace)


def test_old_runs_are_removed_beyond_the_kept_number(workspace: Workspace) -> None:
    workspace.add_app("hello")
    folder = workspace.home / "logs"
    folder.mkdir(parents=True)
    old = [folder / f"2020010{day}T000000.000000Z-{pid}.log"
           for day in range(1, 8) for pid in range(100, 100 + log.KEPT_RUNS // 5)]
    for path in old:
        path.write_text("old run\n")
    unrelated = folder / "notes.txt"
    unrelated.write_text("mine")

    _doit(workspace)

    kept = _logs(workspace)
    assert len(kept) == log.KEPT_RUNS
    assert kept[:-1] == sorted(old)[-(log.KEPT_RUNS - 1):]  # the newest of the old ones
    assert unrelated.exists()


def test_the_size_cap_removes_the_oldest_first(tmp_path: Path) -> None:
    sizes = [4, 4, 4, 4]  # MiB, oldest first
    paths = [tmp_path / f"2020010{day}T000000.000000Z-1.log" for day in range(1, 5)]
    for path, size in zip(paths, sizes, strict=True):
        path.write_bytes(b"x" * size * log.MiB)

    log._prune(tmp_path, 10 * log.MiB)  # room for the next run within 10 MiB

    assert [path.exists() for path in paths] == [False, False, True, True]


@pytest.mark.parametrize(("given", "cap"), [("", 100), ("200MB", 200), ("1gb", 1024),
                                            ("5MB", 10), ("lots", 100)])
def test_hys_log_size_reads_as_hyscale_documents_it(monkeypatch: pytest.MonkeyPatch,
                                                    given: str, cap: int) -> None:
    monkeypatch.setenv(log.LOG_SIZE, given)
    assert log._size_cap() == cap * log.MiB


def test_no_registry_login_reaches_the_log(workspace: Workspace) -> None:
    workspace.add_app("hello")
    auth = base64.b64encode(f"ci:{SECRET_PASSWORD}".encode()).decode()
    document = json.dumps({"auths": {"localhost:5000": {"auth": auth}}})
    broken = workspace.apps / "hello" / "web.hspec"
    broken.write_text(broken.read_text().replace("tag: \"1.0\"", "tag: \"1.0\"\n  bogus: 1"))

    _doit(workspace, "-n", "2", HYS_LOG_LEVEL="debug", HYS_REGISTRY_CONFIG=document)

    text = _latest(workspace)
    assert "DEBUG setting HYS_REGISTRY_CONFIG=(set; not shown)" in text
    assert "ERROR spec:web failed" in text
    for secret in (SECRET_PASSWORD, auth, document):
        assert secret not in text


def test_a_secret_the_process_knows_is_masked_in_any_line(tmp_path: Path) -> None:
    script = (
        "from hyscale_tasks import log\n"
        f"log.keep_secret({SECRET_PASSWORD!r})\n"
        "log.open_run_log(['test'])\n"
        f"log.run_logger().error('the registry said: bad password %s', {SECRET_PASSWORD!r})\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "HYSCALE_HOME": str(tmp_path)}, check=False)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "logs" / log.LATEST).read_text()
    assert f"the registry said: bad password {log.MASK}" in text
    assert SECRET_PASSWORD not in text


def test_a_hyscale_command_is_one_run_with_its_exit_code(workspace: Workspace) -> None:
    workspace.add_app("hello")
    spec = workspace.apps / "hello" / "web.hspec"
    done = subprocess.run([sys.executable, "-m", "hyscale_tasks.cli", "generate", "service",
                           "manifests", "-f", str(spec), "-a", "hello"], cwd=workspace.apps,
                          env=workspace.env(), capture_output=True, text=True, check=False,
                          timeout=workspace.timeout)
    assert done.returncode == 0, done.stderr

    (only,) = _logs(workspace)
    text = only.read_text()
    assert f"INFO  run: hyscale generate service manifests -f {spec} -a hello" in text
    assert "INFO  manifests:web finished in " in text
    assert text.rstrip().endswith("INFO  exit code 0")
