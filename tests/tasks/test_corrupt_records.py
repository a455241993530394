"""A damaged stage record: the stage that wrote it runs again and rewrites it.

Records live under ``$HYSCALE_HOME/apps/<app>/<service>/state/``; a full disk, a killed copy or
a hand edit can leave one that is not JSON, cut short, empty or of another shape. Each case
damages one record a render writes and runs the real ``doit`` again: the run succeeds with no
traceback, re-runs the one stage that writes that record, and leaves it as it was. A stage that
reads a damaged record anyway (``doit -s`` skips the stage that would repair it) fails with one
message that names the file and the fix. The build and push records: tests/image.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from hyscale_tasks.errors import CorruptRecordError, HyscaleError
from hyscale_tasks.files import INDEX, read_json
from testing.workspace import DoitResult, Workspace

Damage = Callable[[bytes], bytes]

# How a record gets damaged; each keeps the file there (a missing record is another test's).
DAMAGES: dict[str, Damage] = {
    "garbage": lambda good: b"this is not JSON\n",
    "cut-short": lambda good: good[: len(good) // 2],
    "empty": lambda good: b"",
    "not-utf8": lambda good: b"\xff\xfe\x00{",
    "a-list": lambda good: b"[1, 2, 3]\n",
    "fields-missing": lambda good: b"{}\n",
    "field-of-another-type": lambda good: json.dumps(
        {**json.loads(good), "files": ["not", "a", "mapping"]}).encode(),
}

# Every record of a render, and the task that writes it.
RECORDS = {
    "build-spec.json": "spec:web",
    "deploy-spec.json": "spec:web",
    "dockerfile.json": "dockerfile:web",
    "manifests.json": "manifests:web",
}


def _state(workspace: Workspace) -> Path:
    return workspace.service_dir("hello", "web") / "state"


def _no_traceback(result: DoitResult) -> None:
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output


@pytest.mark.parametrize("record", sorted(RECORDS))
def test_a_damaged_record_reruns_its_stage_and_is_written_again(workspace: Workspace,
                                                                record: str) -> None:
    workspace.add_app("hello")
    workspace.doit("app=hello")
    path = _state(workspace) / record
    good = path.read_bytes()

    for name, damage in DAMAGES.items():
        path.write_bytes(damage(good))
        result = workspace.doit("app=hello", check=False)

        _no_traceback(result)
        assert result.returncode == 0, f"{name}:\n{result.stdout}\n{result.stderr}"
        assert result.executed == [RECORDS[record]], name
        assert path.read_bytes() == good, name

    assert workspace.doit("app=hello").executed == []


def test_all_records_damaged_at_once_are_all_written_again(workspace: Workspace) -> None:
    workspace.add_app("hello")
    workspace.doit("app=hello")
    good = {record: (_state(workspace) / record).read_bytes() for record in RECORDS}
    for record in RECORDS:
        (_state(workspace) / record).write_text("{")

    result = workspace.doit("app=hello", check=False)

    _no_traceback(result)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(result.executed) == ["dockerfile:web", "manifests:web", "spec:web"]
    assert {record: (_state(workspace) / record).read_bytes() for record in RECORDS} == good


def test_a_stage_that_reads_a_damaged_record_says_which_and_the_fix(workspace: Workspace) -> None:
    workspace.add_app("hello")
    workspace.doit("app=hello")
    path = _state(workspace) / "build-spec.json"
    path.write_text('{"app": "hello", "service": ')

    # -s runs dockerfile:web alone: the spec stage, which would rewrite the record, does not run.
    result = workspace.doit("app=hello", "-s", "dockerfile:web", check=False)

    _no_traceback(result)
    assert result.returncode == 1
    assert result.stderr == (
        f"[ERROR]  {path} is corrupt (not JSON: Expecting value at line 1 column 29).\n"
        "  fix: remove it; the next run redoes that stage (spec:web), which writes it again.\n")
    path.unlink()  # the fix works
    assert workspace.doit("app=hello").executed == ["spec:web", "dockerfile:web"]


def test_a_record_edited_by_hand_is_written_again(workspace: Workspace) -> None:
    """Valid JSON of the right shape, but not what the stage wrote: the stage rewrites it."""
    workspace.add_app("hello")
    workspace.doit("app=hello")
    path = _state(workspace) / "deploy-spec.json"
    good = path.read_bytes()
    edited = json.loads(good)
    edited["spec"]["replicas"] = 7
    path.write_text(json.dumps(edited))

    assert workspace.doit("app=hello").executed == ["spec:web"]
    assert path.read_bytes() == good


# -- the reader -------------------------------------------------------------------------------
@pytest.mark.parametrize(("content", "reason"), [
    (b"", "not JSON: Expecting value at line 1 column 1"),
    (b"\xff", "not UTF-8 text"),
    (b'"text"', "a JSON str where an object belongs"),
    (b'{"folder": "/x"}', "field 'files' is missing"),
    (b'{"folder": "/x", "files": []}', "field 'files' is a list"),
])
def test_read_json_names_what_is_wrong(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "web" / "state" / "manifests.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)

    with pytest.raises(CorruptRecordError) as raised:
        read_json(path, INDEX)

    # Both: "treat as missing" readers catch ValueError, the CLI and actions HyscaleError.
    assert isinstance(raised.value, ValueError) and isinstance(raised.value, HyscaleError)
    assert str(raised.value) == (
        f"{path} is corrupt ({reason}).\n"
        "  fix: remove it; the next run redoes that stage (manifests:web), which writes it again.")


def test_a_missing_record_is_still_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_json(tmp_path / "state" / "push.json")
