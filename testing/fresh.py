"""A fresh CI runner, for the tests that it builds and pushes nothing the registry has already: a
copy of an app's files with new mtimes, an empty HYSCALE_HOME, the same login, and a Docker engine
with an empty data-root, behind relays that count what reaches that engine and the registry."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from testing.dockerd import SecondDaemon
from testing.image_app import app_name, make_app
from testing.registry import Registry
from testing.relay import Relay, Request
from testing.workspace import Workspace

UPLOADS = ("PUT", "POST", "PATCH", "DELETE")


@dataclass
class Fresh:
    """The app as first pushed, and what a fresh runner works with."""

    pushed: Workspace
    registry: Relay  # specs name it as their registry
    engine: SecondDaemon
    engine_relay: Relay  # DOCKER_HOST of the fresh runs
    root: Path
    copies: list[Workspace] = field(default_factory=list)

    @classmethod
    @contextmanager
    def started(cls, root: Path, registry: Registry, name: str) -> Iterator[Fresh]:
        """The second engine and the relays, up while the block runs, with the app (named after
        ``name``, under ``root``) still without a service: the block adds its services and pushes
        or deploys it from the usual engine before it asks for a runner."""
        with Relay.tcp("127.0.0.1", registry.port) as registry_relay, SecondDaemon() as engine:
            engine.start()
            with Relay.unix(engine.socket) as engine_relay:
                app = make_app(root / "pushed", app_name(name), registry,
                               registry_host=registry_relay.host)
                yield cls(app, registry_relay, engine, engine_relay, root)

    def runner(self) -> Workspace:
        """A fresh runner: a copy of the app folder with new mtimes, an empty HYSCALE_HOME, the
        same login, the empty engine."""
        number = len(self.copies) + 1
        root = self.root / f"runner{number}"
        apps = root / "apps"
        shutil.copytree(self.pushed.folder, apps / self.pushed.name, copy_function=shutil.copy)
        touch_all(apps, time.time() + 3600 * number)  # new, and unlike any earlier copy's
        copy = Workspace(apps, root / "hyscale-home", self.pushed.docker_config, name=self.pushed.name,
                        registry=self.pushed.registry, registry_host=self.pushed.registry_host)
        copy.extra_env["DOCKER_HOST"] = self.engine_relay.url
        self.copies.append(copy)
        self.engine_relay.reset()
        self.registry.reset()
        return copy

    def uploads(self) -> list[Request]:
        return [r for r in self.registry.snapshot()[1] if r.method in UPLOADS]

    def builds(self) -> list[Request]:
        return [r for r in self.engine_relay.snapshot()[1] if r.path.split("?")[0].endswith("/build")]


def touch_all(folder: Path, when: float) -> None:
    for path in [folder, *folder.rglob("*")]:
        os.utime(path, (when, when), follow_symlinks=False)
