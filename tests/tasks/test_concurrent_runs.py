"""Two doit runs on one app at the same time keep every record (doit-notes §3.3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.workspace import Workspace


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


GARBAGE = {
    "not sqlite": b"this is not a database\n" * 64,
    "damaged pages": None,  # a real database whose pages after the first are overwritten
    "a record that is not JSON": None,
}


@pytest.mark.parametrize("damage", list(GARBAGE))
def test_a_corrupt_state_database_is_one_message_with_the_fix(workspace: Workspace,
                                                               damage: str) -> None:
    import sqlite3

    workspace.add_app("hello")
    workspace.doit("app=hello")
    database = workspace.home / "apps" / "hello" / "doit.sqlite"
    if damage == "not sqlite":
        database.write_bytes(GARBAGE[damage] or b"")
    elif damage == "damaged pages":
        data = bytearray(database.read_bytes())
        assert len(data) > 4096  # a header page and more
        data[4096:] = b"A" * (len(data) - 4096)
        database.write_bytes(bytes(data))
    else:
        with sqlite3.connect(database) as connection:
            connection.execute("update doit set task_data = 'not json'")
    result = workspace.doit("app=hello", check=False)
    assert result.returncode == 3
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert result.stderr.startswith(f"ERROR: The doit state database {database} cannot be used"), \
        result.stderr
    assert f"  fix: remove it (rm -r '{database}')" in result.stderr
    assert len(result.stderr.splitlines()) == 2, result.stderr
    database.unlink()  # the fix works: the next run checks every stage, and writes nothing new
    assert workspace.doit("app=hello").executed == ["spec:web", "manifests:web", "dockerfile:web"]
    assert workspace.doit("app=hello").executed == []


def test_a_folder_where_the_state_database_should_be(workspace: Workspace) -> None:
    workspace.add_app("hello")
    database = workspace.home / "apps" / "hello" / "doit.sqlite"
    database.mkdir(parents=True)
    result = workspace.doit("app=hello", check=False)
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert "cannot be used (unable to open database file)" in result.stderr
    assert "fix: remove it" in result.stderr
