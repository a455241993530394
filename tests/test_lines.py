"""Each message goes to stderr in one write: the deploy processes of a run share the terminal,
and a line written in two parts (text, then newline: what ``print`` does on stderr) could end up
inside another process's line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from hyscale_tasks import lines


class Writes:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def write(self, text: str) -> int:
        self.calls.append(text)
        return len(text)

    def flush(self) -> None:
        pass


def test_an_error_with_its_fix_is_one_write(monkeypatch: pytest.MonkeyPatch) -> None:
    stderr = Writes()
    monkeypatch.setattr(sys, "stderr", stderr)
    lines.error("Deployment of web failed: no\n  fix: yes")
    lines.info("Applying Deployment web")
    assert stderr.calls == ["[ERROR]  Deployment of web failed: no\n  fix: yes\n",
                            "[INFO]  Applying Deployment web\n"]


def test_processes_writing_at_once_never_split_a_line() -> None:
    """Eight processes, 300 lines each, into one pipe: every line arrives whole."""
    writer = ("import sys\nfrom hyscale_tasks import lines\n"
              "for n in range(300):\n"
              "    lines.error(f'process {sys.argv[1]} line {n} ' + 'x' * 200 + '\\n  fix: ok')\n")
    read, write = os.pipe()
    processes = [subprocess.Popen([sys.executable, "-c", writer, str(p)], stderr=write)
                 for p in range(8)]
    os.close(write)
    with os.fdopen(read, "rb") as stream:
        received = stream.read().decode().splitlines()
    assert all(p.wait() == 0 for p in processes)
    assert len(received) == 8 * 300 * 2
    errors = [line for line in received if not line.startswith("  fix: ok")]
    assert all(line.startswith("[ERROR]  process ") and line.endswith("x" * 200) for line in errors)
    assert received.count("  fix: ok") == 8 * 300
