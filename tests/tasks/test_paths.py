"""Where a service's records live, and which task writes each one (a damaged record's message
names it: files.read_json)."""

from __future__ import annotations

from pathlib import Path

from hyscale_tasks.paths import app_status_record, service_paths, writing_task


def test_each_record_of_a_service_names_the_task_that_writes_it(tmp_path: Path) -> None:
    paths = service_paths(tmp_path / "hello", "web")
    written_by = {
        paths.build_spec: "spec:web", paths.deploy_spec: "spec:web",
        paths.dockerfile_record: "dockerfile:web", paths.build_record: "build:web",
        paths.context_cache: "build:web", paths.push_record: "push:web",
        paths.manifests_record: "manifests:web", paths.deploy_record: "deploy:web",
        paths.status_record: "status:web",
    }
    assert {record.parent for record in written_by} == {paths.state}
    assert {record: writing_task(record) for record in written_by} == written_by


def test_files_that_are_no_service_record_name_no_task(tmp_path: Path) -> None:
    paths = service_paths(tmp_path / "hello", "web")
    assert writing_task(app_status_record(tmp_path / "hello")) is None
    assert writing_task(paths.dockerfiles / "Dockerfile") is None
    assert writing_task(paths.root / "build.json") is None  # not in state/
