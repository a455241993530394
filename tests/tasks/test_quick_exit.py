"""A ``doit`` run ends without clearing its modules (tasks/quick_exit.py: its time is measured
by the benchmarks), and still with the run's status, its whole output and every exit handler
run."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

DODO = textwrap.dedent('''
    import atexit
    import os
    import sys
    from pathlib import Path

    from hyscale_tasks.tasks import quick_exit

    quick_exit.install()
    DOIT_CONFIG = {"dep_file": str(Path(__file__).parent / "state.db"), "verbosity": 2}
    HERE = Path(__file__).parent


    def leave_a_mark():
        (HERE / "exit-handler-ran").write_text("yes")


    atexit.register(leave_a_mark)


    def speak():
        sys.stdout.write("no newline at the end, " * 2000)  # more than one buffer's worth
        return os.environ.get("FAIL") != "1"


    def task_speak():
        return {"actions": [speak], "verbosity": 2}
''')


@pytest.mark.parametrize(("fail", "status"), [("", 0), ("1", 1)])
def test_the_run_ends_with_its_status_its_output_and_its_exit_handlers(
        tmp_path: Path, fail: str, status: int) -> None:
    (tmp_path / "dodo.py").write_text(DODO)

    result = subprocess.run([sys.executable, "-m", "doit", "-f", str(tmp_path / "dodo.py"),
                             "--always-execute", "speak"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "FAIL": fail})

    assert result.returncode == status, result.stderr
    assert result.stdout.count("no newline at the end, ") == 2000
    assert (tmp_path / "exit-handler-ran").read_text() == "yes"


def test_another_sys_exit_still_unwinds(tmp_path: Path) -> None:
    """Only doit's entry point exits at once: any other exit runs the ``finally`` above it."""
    script = tmp_path / "other.py"
    script.write_text(textwrap.dedent('''
        import sys
        from hyscale_tasks.tasks import quick_exit

        quick_exit.install()
        try:
            sys.exit(4)
        finally:
            print("finally ran")
    '''))

    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            timeout=60)

    assert result.returncode == 4
    assert result.stdout == "finally ran\n"
