"""A build context docker could not send fails the context digest with one message naming the
file and the fix; links that loop or dangle are sent as links and left out of the digest.

Root reads every file, so the unreadable cases run the digest as user ``nobody`` (setpriv).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hyscale_tasks.image.context import context_digest
from testing.workspace import REPO

_DIGEST = """
import sys
from pathlib import Path
from hyscale_tasks.errors import HyscaleError
from hyscale_tasks.image.context import context_digest
context = Path(sys.argv[1])
try:
    print(context_digest(context, context / "docker" / "Dockerfile", Path(sys.argv[2])))
except HyscaleError as exc:
    print(exc)
    sys.exit(1)
"""


@pytest.fixture
def context() -> Iterator[Path]:
    """A context in a folder that ``nobody`` may enter (pytest's tmp_path is root's only)."""
    root = Path(tempfile.mkdtemp(prefix="hyscale-context-", dir="/tmp"))
    root.chmod(0o777)
    folder = root / "ctx"
    (folder / "docker").mkdir(parents=True)
    (folder / "docker" / "Dockerfile").write_text("FROM scratch\nCOPY . /\n")
    (folder / "index.html").write_text("hello\n")
    for path in (folder, folder / "docker"):
        path.chmod(0o755)
    yield folder
    shutil.rmtree(root)


def digest_as_nobody(folder: Path) -> subprocess.CompletedProcess[str]:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run as another user")
    return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                           sys.executable, "-c", _DIGEST, str(folder),
                           str(folder.parent / "cache.json")],
                          cwd=REPO, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("unreadable", ["file", "folder"])
def test_an_unreadable_file_in_the_context_is_named_with_the_fix(context: Path,
                                                                  unreadable: str) -> None:
    if unreadable == "file":
        target = context / "secret.txt"
        target.write_text("not for you\n")
    else:
        target = context / "private"
        target.mkdir()
        (target / "inside.txt").write_text("not for you either\n")
    target.chmod(0)
    result = digest_as_nobody(context)
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout == (
        f"Cannot read {target} in the build context {context}: permission denied.\n"
        f"  fix: make it readable (or fix the link), or keep it out of the image by listing it in "
        f"{context}/.dockerignore; then run the same command again.\n")
    (context / ".dockerignore").write_text(f"{target.name}\n")  # the fix works
    assert digest_as_nobody(context).returncode == 0


def test_links_that_loop_or_dangle_are_left_out(context: Path, tmp_path: Path) -> None:
    before = context_digest(context, context / "docker" / "Dockerfile", tmp_path / "cache.json")
    (context / "loop").symlink_to("loop")
    (context / "dangling").symlink_to("nowhere")
    (context / "docker" / "up").symlink_to("..")  # a folder loop: docker does not follow it
    after = context_digest(context, context / "docker" / "Dockerfile", tmp_path / "cache.json")
    assert after == before
