"""What a stage found, as the reason ``hyscale deploy -o json`` gives for it.

The build and push stages note in their records that the registry already had the image for
their inputs; the reporters read the note once the task succeeded. The real run is in
tests/image/test_fresh_runner.py (the JSON-lines reporter); ``hyscale deploy`` needs a cluster,
so here the CLI's reporter is driven with real doit tasks and real record files.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from doit.task import Task

from hyscale_tasks.cli.console import Console
from hyscale_tasks.cli.progress import Progress
from hyscale_tasks.tasks.reasons import ReasonBook

NOTE = "image for these inputs already in the registry (sha256:abc): r/app/web:1.0; nothing built"


def _task(name: str, record: Path) -> Task:
    return Task(name, [(lambda: None, [], {})], targets=[str(record)])


def test_the_note_of_a_build_record_is_the_outcome(tmp_path: Path) -> None:
    record = tmp_path / "state" / "build.json"
    record.parent.mkdir()
    record.write_text(json.dumps({"decision": "generate", "note": NOTE}))
    assert ReasonBook().outcome(_task("build:web", record)) == NOTE
    record.write_text(json.dumps({"decision": "generate"}))
    assert ReasonBook().outcome(_task("build:web", record)) is None
    other = tmp_path / "state" / "manifests.json"  # only the image stages' records are read
    other.write_text(json.dumps({"note": NOTE}))
    assert ReasonBook().outcome(_task("manifests:web", other)) is None


def test_the_cli_gives_the_outcome_as_the_stage_reason(tmp_path: Path) -> None:
    record = tmp_path / "state" / "build.json"
    record.parent.mkdir()
    record.write_text(json.dumps({"decision": "generate", "note": NOTE}))
    task = _task("build:web", record)
    progress = Progress(Console(io.StringIO(), quiet=True), "deploy", lambda result: None)
    progress.initialize({task.name: task}, [task.name])
    progress.execute_task(task)
    progress.add_success(task)
    assert progress.results["web"].stages == [{"stage": "build", "ran": True, "reason": NOTE}]
