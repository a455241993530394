"""Two doit runs on one app at the same time keep every record (doit-notes §3.3)."""

from __future__ import annotations

from pathlib import Path

from tests.doit_runner import Workspace


def _tasks(*services: str) -> list[str]:
    return [f"{stage}:{svc}" for svc in services for stage in ("spec", "dockerfile", "manifests")]


def test_two_simultaneous_runs_lose_no_record(workspace: Workspace) -> None:
    workspace.add_app("shop")
    for _ in range(3):
        first = workspace.start("app=shop", *_tasks("frontend", "catalog"))
        second = workspace.start("app=shop", *_tasks("cart"))
        workspace.wait(first)
        workspace.wait(second)
        assert workspace.doit("app=shop").executed == []
        workspace.doit("forget", "app=shop")


def test_a_failing_run_beside_a_good_one_loses_neither_runs_records(workspace: Workspace) -> None:
    app = workspace.add_app("shop")
    spec: Path = app / "catalog.hspec"
    spec.write_text(spec.read_text().replace("port: 8080/http", "port: nope"))
    failing = workspace.start("app=shop", "--continue", *_tasks("catalog", "frontend"))
    good = workspace.start("app=shop", *_tasks("cart"))
    assert workspace.wait(failing, check=False).returncode != 0
    workspace.wait(good)
    again = workspace.doit("app=shop", *_tasks("cart", "frontend"))
    assert again.executed == []


def _db(cls: type, path: Path) -> object:
    from doit.dependency import JSONCodec

    return cls(str(path), JSONCodec())


def test_a_removed_record_does_not_lock_out_another_run(tmp_path: Path) -> None:
    """doit deletes a failed task's record at once but commits only when its run ends; until then
    doit's own sqlite3 backend locks every other run out (it fails after a 5 s wait)."""
    import sqlite3

    import pytest
    from doit.dependency import SqliteDB

    from hyscale_tasks.tasks.backend import LockedSqliteDB

    for cls, should_lock in ((SqliteDB, True), (LockedSqliteDB, False)):
        path = tmp_path / f"{cls.__name__}.sqlite"
        seed = _db(cls, path)
        seed.set("failed", "k", "v")  # type: ignore[attr-defined]
        seed.dump()  # type: ignore[attr-defined]
        failing, other = _db(cls, path), _db(cls, path)
        failing.remove("failed")  # type: ignore[attr-defined]
        other.set("done", "k", "v")  # type: ignore[attr-defined]
        if should_lock:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.dump()  # type: ignore[attr-defined]
            continue
        other.dump()  # type: ignore[attr-defined]
        failing.dump()  # type: ignore[attr-defined]
        reader = _db(cls, path)
        assert reader.get("done", "k") == "v"  # type: ignore[attr-defined]
        assert not reader.in_("failed")  # type: ignore[attr-defined]
