"""doit's process runner (``-n N``), except that a job goes to the worker that ran the task
before it, and a worker is started only when a job finds none free.

doit puts every job on one queue that all its workers read, so the worker that has just finished
a service's build is the last in line for the push that follows: under ``-n 4`` a service's
stages ran in up to four processes, and each imported again what the one before it had
imported. The docker SDK (~0.12 s) for the build, again for the push, and the kubernetes client
(~0.27 s) for the deploy, which the build had started importing in its own process
(tasks/warmup.py): one changed artifact took ~0.5 s longer under ``-n 4`` than under ``-n 1``.
doit also starts all N workers as soon as jobs wait on one another, each with nothing to do.

Here each worker has a queue of its own. When a task's result comes back, the first job the
dispatcher hands out goes to the worker that ran it, so a chain of stages that nothing competes
with stays in one process, and a run that needs one worker starts one. Everything else is doit's:
which task runs when and whether it is up to date (its dispatcher, through ``get_next_job``),
what a worker does with a job (``execute_task_subprocess``), and how results, failures,
``--continue`` and interrupts are handled.
"""

from __future__ import annotations

from typing import Any

from doit import cmd_run
from doit.runner import JobHold, MRunner


def install() -> None:
    """Make ``-n N`` with processes (doit's default ``-P``) use :class:`AffineRunner`."""
    cmd_run.MRunner = AffineRunner


class AffineRunner(MRunner):  # type: ignore[misc]  # doit ships no type hints
    def run_tasks(self, task_dispatcher: Any) -> None:
        self._run_tasks_init(task_dispatcher)
        self._results = self.Queue()
        self._workers: list[Any] = []
        self._queues: list[Any] = []
        self._idle: list[int] = []  # workers waiting for a job, the one to use first first
        self._running: dict[str, int] = {}  # task name -> the worker that runs it
        try:
            self._hand_out(None)
            while self._running:
                result = self._results.get()
                if "exit" in result:  # a worker's own failure, not a task's
                    raise result["exit"](result["exception"])
                node = task_dispatcher.nodes[result["name"]]
                if "reporter" in result:
                    getattr(self.reporter, result["reporter"])(node.task)
                    continue
                self._process_result(node, node.task, result)
                self._idle.insert(0, self._running.pop(result["name"]))
                self._hand_out(node)
        except (SystemExit, KeyboardInterrupt, Exception):
            for worker in self._workers:
                worker.terminate()
            raise
        for queue in self._queues:
            queue.put(None)  # no more jobs: the worker runs the teardowns and ends
        for worker in self._workers:
            worker.join()
        while not self._results.empty():  # (safe: every worker has ended)
            result = self._results.get()
            getattr(self.reporter, result["reporter"])(task_dispatcher.tasks[result["name"]])

    def _hand_out(self, completed: Any) -> None:
        """Give out jobs while a worker is free or may be started; ``completed``: the node
        whose result just came back, which the dispatcher must hear of first."""
        while self._idle or len(self._workers) < self.num_process:
            job = self.get_next_job(completed)
            completed = None
            self.free_proc = 0  # doit's count of workers told to hold on: none are, here
            if job is None:  # nothing left to run, or a failure stops the run
                return
            if isinstance(job, JobHold):  # what is left waits for tasks that run now
                if not self._running:
                    raise RuntimeError("every task left waits for another: a dependency cycle")
                return
            worker = self._idle.pop(0) if self._idle else self._start_worker()
            self._queues[worker].put(job)
            self._running[job.name] = worker

    def _start_worker(self) -> int:
        queue = self.Queue()
        worker = self.Child(target=self.execute_task_subprocess,
                            args=(queue, self._results, self.reporter.__class__))
        worker.start()
        self._workers.append(worker)
        self._queues.append(queue)
        return len(self._workers) - 1
