"""The build context's digest (hyscale_tasks/image/context.py) follows every change docker would
send, and an unchanged context is recognised without walking it (or importing the docker SDK)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hyscale_tasks.image.context import context_digest
from hyscale_tasks.stage_records import last_context_hashes


@pytest.fixture
def context(tmp_path: Path) -> Path:
    root = tmp_path / "ctx"
    (root / "src" / "deep").mkdir(parents=True)
    (root / "src" / "empty").mkdir()
    (root / "build").mkdir()
    (root / "Dockerfile").write_text("FROM scratch\nCOPY . /\n")
    (root / "src" / "app.py").write_text("print('hi')\n")
    (root / "src" / "deep" / "data.txt").write_text("data\n")
    (root / "build" / "out.o").write_text("binary\n")
    (root / ".dockerignore").write_text("build\n")
    return root


def _digest(context: Path) -> str:
    return context_digest(context, context / "Dockerfile", context.parent / "cache.json")


def test_each_change_docker_would_send_changes_the_digest(context: Path) -> None:
    seen = [_digest(context)]
    assert _digest(context) == seen[0]
    (context / "src" / "deep" / "new.txt").write_text("new\n")  # a file added deep down
    seen.append(_digest(context))
    (context / "src" / "deep" / "new.txt").rename(context / "src" / "renamed.txt")
    seen.append(_digest(context))
    (context / "src" / "renamed.txt").chmod(0o755)
    seen.append(_digest(context))
    (context / "src" / "more").mkdir()
    (context / "src" / "more" / "x").write_text("x\n")  # a new folder with a file
    seen.append(_digest(context))
    (context / "src" / "empty" / "first").write_text("1\n")  # into a folder that held no file
    seen.append(_digest(context))
    (context / "Dockerfile").write_text("FROM scratch\n")
    seen.append(_digest(context))
    assert len(set(seen)) == len(seen), seen


def test_what_dockerignore_keeps_out_does_not_count_until_an_exception_lets_it_in(
        context: Path) -> None:
    first = _digest(context)
    (context / "build" / "other.o").write_text("more binary\n")
    assert _digest(context) == first
    (context / ".dockerignore").write_text("build\n!build/keep.txt\n")  # (sent: it counts)
    second = _digest(context)
    assert _digest(context) == second
    (context / "build" / "keep.txt").write_text("kept\n")  # in a folder the matcher skipped
    assert _digest(context) != second


def test_an_unchanged_context_is_recognised_without_the_docker_sdk(context: Path,
                                                                  tmp_path: Path) -> None:
    first = _digest(context)
    shadow = tmp_path / "no-docker" / "docker"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text('raise ImportError("the no-op walked the context")\n')
    script = ("import sys\nfrom pathlib import Path\n"
              "from hyscale_tasks.image.context import context_digest\n"
              "c = Path(sys.argv[1])\n"
              "print(context_digest(c, c / 'Dockerfile', c.parent / 'cache.json'))\n")
    env = {**os.environ, "PYTHONPATH": str(shadow.parent)}
    again = subprocess.run([sys.executable, "-c", script, str(context)], env=env,
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == first


@pytest.mark.parametrize("damage", [b"\xff\xfe", b"{\"digest\": ", b"[1, 2]",
                                    b"{\"digest\": 7, \"folders\": [], \"files\": {}}"])
def test_a_damaged_cache_is_only_a_cache(context: Path, damage: bytes) -> None:
    first = _digest(context)
    cache = context.parent / "cache.json"
    cache.write_bytes(damage)
    assert _digest(context) == first
    assert last_context_hashes(cache) is not None  # written again, whole
