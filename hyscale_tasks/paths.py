"""Where one service's files live under ``$HYSCALE_HOME/apps/<app>/<service>/`` (design §2),
and which task writes each stage record.

A leaf below every package: the task creators, the stages and files.py's message about a
damaged record (which task rewrites it) all read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# The records under a service's ``state/`` folder, by file name (stage_records.py says what
# each one holds).
BUILD_SPEC_RECORD = "build-spec.json"
DEPLOY_SPEC_RECORD = "deploy-spec.json"
DOCKERFILE_RECORD = "dockerfile.json"
BUILD_RECORD = "build.json"
CONTEXT_HASHES_RECORD = "context-hashes.json"
PUSH_RECORD = "push.json"
MANIFESTS_RECORD = "manifests.json"
DEPLOY_RECORD = "deploy.json"
STATUS_RECORD = "status.json"


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
        return self.state / BUILD_SPEC_RECORD

    @property
    def deploy_spec(self) -> Path:
        return self.state / DEPLOY_SPEC_RECORD

    @property
    def dockerfile_record(self) -> Path:
        return self.state / DOCKERFILE_RECORD

    @property
    def manifests_record(self) -> Path:
        return self.state / MANIFESTS_RECORD

    @property
    def build_record(self) -> Path:
        return self.state / BUILD_RECORD

    @property
    def push_record(self) -> Path:
        return self.state / PUSH_RECORD

    @property
    def context_cache(self) -> Path:
        return self.state / CONTEXT_HASHES_RECORD

    @property
    def deploy_record(self) -> Path:
        return self.state / DEPLOY_RECORD

    @property
    def status_record(self) -> Path:
        return self.state / STATUS_RECORD

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


def app_status_record(app_home: Path) -> Path:
    """The statuses ``app-status`` found, of every service of the app."""
    return app_home / STATUS_RECORD


# Each record of ServicePaths.state, and the task that writes it (its stage, or ``status``).
RECORD_STAGES = {
    BUILD_SPEC_RECORD: "spec",
    DEPLOY_SPEC_RECORD: "spec",
    DOCKERFILE_RECORD: "dockerfile",
    BUILD_RECORD: "build",
    CONTEXT_HASHES_RECORD: "build",
    PUSH_RECORD: "push",
    MANIFESTS_RECORD: "manifests",
    DEPLOY_RECORD: "deploy",
    STATUS_RECORD: "status",
}


def writing_task(record: Path) -> str | None:
    """The task that writes ``record`` (``build:web``), when it is a record of a service."""
    stage = RECORD_STAGES.get(record.name)
    if stage is None or record.parent.name != "state":
        return None
    return f"{stage}:{record.parent.parent.name}"
