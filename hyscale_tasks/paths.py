"""Where one service's files live under ``$HYSCALE_HOME/apps/<app>/<service>/`` (design §2),
and which task writes each stage record.

A leaf below every package: the task creators, the stages and files.py's message about a
damaged record (which task rewrites it) all read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ServicePaths:
    root: Path

    @property
    def dockerfiles(self) -> Path:
        return self.root / "generated-files" / "dockerfiles"

    @property
    def manifests(self) -> Path:
        return self.root / "generated-files" / "manifests"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def state(self) -> Path:
        """Stage records: what each stage produced, read by the next one and by probes."""
        return self.root / "state"

    @property
    def build_spec(self) -> Path:
        return self.state / "build-spec.json"

    @property
    def deploy_spec(self) -> Path:
        return self.state / "deploy-spec.json"

    @property
    def dockerfile_record(self) -> Path:
        return self.state / "dockerfile.json"

    @property
    def manifests_record(self) -> Path:
        return self.state / "manifests.json"

    @property
    def build_record(self) -> Path:
        return self.state / "build.json"

    @property
    def push_record(self) -> Path:
        return self.state / "push.json"

    @property
    def context_cache(self) -> Path:
        return self.state / "context-hashes.json"

    @property
    def deploy_record(self) -> Path:
        return self.state / "deploy.json"

    @property
    def deploy_log(self) -> Path:
        return self.logs / "deploy.log"

    @property
    def build_log(self) -> Path:
        return self.logs / "build.log"

    @property
    def push_log(self) -> Path:
        return self.logs / "push.log"


def service_paths(app_home: Path, service: str) -> ServicePaths:
    return ServicePaths(app_home / service)


# Each stage record of ServicePaths.state, and the stage that writes it.
RECORD_STAGES = {
    "build-spec.json": "spec",
    "deploy-spec.json": "spec",
    "dockerfile.json": "dockerfile",
    "build.json": "build",
    "context-hashes.json": "build",
    "push.json": "push",
    "manifests.json": "manifests",
    "deploy.json": "deploy",
}


def writing_task(record: Path) -> str | None:
    """The task that writes ``record`` (``build:web``), when it is a stage record."""
    stage = RECORD_STAGES.get(record.name)
    if stage is None or record.parent.name != "state":
        return None
    return f"{stage}:{record.parent.parent.name}"
