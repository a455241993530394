"""A damaged build or push record: its stage runs again and writes it anew.

The render's records: tests/tasks/test_corrupt_records.py. Here the records the Docker stages
write: ``state/build.json`` (the build runs again, from the engine's layer cache, and records
the same image), ``state/push.json`` (the push runs again and records the same digest) and the
build context's hash cache, which is only a cache: damaged, it is rebuilt and nothing runs.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from testing.image_app import DOCKERFILE
from testing.registry import Registry
from testing.workspace import DoitResult, NewApp

pytestmark = pytest.mark.docker

DAMAGES: dict[str, Callable[[bytes], bytes]] = {
    "garbage": lambda good: b"\x00\x01 not JSON",
    "cut-short": lambda good: good[: len(good) // 2],
    "empty": lambda good: b"",
    "a-list": lambda good: b"[]\n",
    "fields-missing": lambda good: b'{"imageId": 42}\n',
}


def _clean(result: DoitResult, damage: str) -> None:
    output = result.stdout + result.stderr
    assert "Traceback" not in output, f"{damage}:\n{output}"
    assert result.returncode == 0, f"{damage}:\n{output}"


@pytest.mark.parametrize(("record", "stage"), [("build_record", "build:web"),
                                               ("push_record", "push:web")])
def test_a_damaged_image_record_reruns_its_stage(new_app: NewApp, record: str, stage: str) -> None:
    app = new_app("damaged")
    app.generated("web", f"<h1>{app.name}</h1>\n")
    app.run("push:web")
    path = getattr(app.paths("web"), record)
    good = path.read_bytes()

    for name, damage in DAMAGES.items():
        path.write_bytes(damage(good))
        result = app.run("push:web", check=False)

        _clean(result, name)
        assert result.executed == [stage], name
        assert path.read_bytes() == good, name  # the same image, the same digest

    assert app.run("push:web").executed == []


def test_a_damaged_context_hash_cache_is_rebuilt_and_runs_nothing(new_app: NewApp,
                                                                  registry: Registry) -> None:
    app = new_app("cache")
    app.user_dockerfile("api", DOCKERFILE, {"included.txt": app.name},
                        args={"BASE": registry.stack_image}, target="release")
    app.run("build:api")
    cache = app.paths("api").context_cache

    for name, content in {"garbage": b"{{", "a-list": b"[1]",
                          "entries-of-another-shape": b'{"included.txt": 5, "docker/Dockerfile": [1]}',
                          }.items():
        cache.write_bytes(content)
        result = app.run("build:api", check=False)

        _clean(result, name)
        assert result.executed == [], name
