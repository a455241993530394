"""Under ``doit -n N`` a task runs in the worker that ran the task before it (tasks/workers.py),
so a service's stages import the docker SDK and the kubernetes client once, not once per stage;
what runs, in which order and with which outcome stays doit's."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

DODO = textwrap.dedent('''
    import os
    import time
    from pathlib import Path

    from hyscale_tasks.tasks import workers

    if os.environ.get("AFFINE"):
        workers.install()
    DOIT_CONFIG = {"dep_file": str(Path(__file__).parent / "state.db"), "verbosity": 0}
    SEEN = Path(__file__).parent / "seen"


    def note(name):
        time.sleep(0.2)  # long enough for every worker to be free when the next job comes
        (SEEN / name).write_text(str(os.getpid()))
        return name != os.environ.get("FAIL_AT")


    def task_chain():
        for chain in ("a", "b"):
            previous = None
            for step in ("one", "two", "three"):
                name = f"{chain}-{step}"
                yield {"name": name, "actions": [(note, [name])],
                       "task_dep": [f"chain:{previous}"] if previous else []}
                previous = name
''')


def _run(folder: Path, *arguments: str, fail_at: str = "",
         affine: bool = True) -> tuple[int, dict[str, int]]:
    seen = folder / "seen"
    seen.mkdir(exist_ok=True)
    for old in seen.iterdir():
        old.unlink()
    (folder / "dodo.py").write_text(DODO)
    result = subprocess.run([sys.executable, "-m", "doit", "-f", str(folder / "dodo.py"),
                             "--always-execute", *arguments],
                            cwd=folder, capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "FAIL_AT": fail_at,
                                 "AFFINE": "1" if affine else ""})
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, {path.name: int(path.read_text()) for path in seen.iterdir()}


def test_each_chain_of_tasks_stays_in_one_worker_and_the_chains_run_side_by_side(
        tmp_path: Path) -> None:
    code, pids = _run(tmp_path, "-n", "4", "chain")

    assert code == 0
    assert sorted(pids) == ["a-one", "a-three", "a-two", "b-one", "b-three", "b-two"]
    assert pids["a-one"] == pids["a-two"] == pids["a-three"]
    assert pids["b-one"] == pids["b-two"] == pids["b-three"]
    assert pids["a-one"] != pids["b-one"]  # two workers, not four: two chains need no more


def test_a_single_chain_runs_in_one_worker(tmp_path: Path) -> None:
    code, pids = _run(tmp_path, "-n", "4", "chain:a-three")

    assert code == 0
    assert sorted(pids) == ["a-one", "a-three", "a-two"]
    assert len(set(pids.values())) == 1


def test_a_failure_ends_the_run_as_under_doits_own_runner(tmp_path: Path) -> None:
    """What depends on the failed task never runs, and the run's status is doit's. (Without
    --continue, whether the other chain's next task started before the failure came back
    depends on timing, under doit's runner as under this one.)"""
    for arguments in (["-n", "2"], ["-n", "2", "--continue"]):
        ours = _run(tmp_path, *arguments, "chain", fail_at="a-one")
        doits = _run(tmp_path, *arguments, "chain", fail_at="a-one", affine=False)

        assert ours[0] == doits[0] != 0, arguments
        assert {"a-two", "a-three"}.isdisjoint(ours[1]), arguments

    assert sorted(ours[1]) == sorted(doits[1]) == ["a-one", "b-one", "b-three", "b-two"]
