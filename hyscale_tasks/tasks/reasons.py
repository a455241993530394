"""Why a doit task runs, in a few words a user reads: ``prop GREETING changed``, ``first run``.

doit decides per task whether it is up to date but keeps the why to itself: only ``doit info``
shows it, by evaluating every check a second time. A :class:`ReasonBook` gets the same answers
without a second evaluation: it wraps each task's uptodate checks to note which one said "stale",
reads the file dependencies doit found changed (``task.dep_changed``) and, for the two spec
records, compares the content the spec stage is about to replace with what it wrote, so the
reason can name the field. Only field names are shown, never values: the records hold secrets.
Once a task ran, :meth:`ReasonBook.outcome` adds what it found when that is the real news (the
image for these inputs was already in the registry: nothing built, nothing pushed).
Reporters (tasks/reporter.py, the ``hyscale`` CLI) own one book and call it from their hooks.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from doit.dependency import UptodateCalculator
from doit.tools import config_changed

from hyscale_tasks.errors import field_path
from hyscale_tasks.paths import (
    BUILD_RECORD,
    BUILD_SPEC_RECORD,
    DEPLOY_SPEC_RECORD,
    DOCKERFILE_RECORD,
    MANIFESTS_RECORD,
    PUSH_RECORD,
)
from hyscale_tasks.stage_records import last_content

# The stage records a task depends on, as a reason names them when one of them changed.
RECORD_NOUNS = {
    BUILD_SPEC_RECORD: "the build half of the spec",
    DEPLOY_SPEC_RECORD: "the deploy half of the spec",
    DOCKERFILE_RECORD: "the generated Dockerfile",
    BUILD_RECORD: "the built image",
    PUSH_RECORD: "the pushed image",
    MANIFESTS_RECORD: "the manifests",
}
# Records compared field by field: small, and what a user edits shows up in them.
COMPARED = {BUILD_SPEC_RECORD, DEPLOY_SPEC_RECORD}
# Records whose stage may note what it found (image/stages.py): see ReasonBook.outcome.
NOTED = {BUILD_RECORD, PUSH_RECORD}
MAX_FIELDS = 3
UP_TO_DATE = "up to date"


@dataclass
class _Verdict:
    first_run: bool = False
    stale: list[str] = field(default_factory=list)


class ReasonBook:
    """What each task's checks answered in this run, and the records before they were rewritten."""

    def __init__(self) -> None:
        self._verdicts: dict[str, _Verdict] = {}
        self._before: dict[str, Any] = {}
        self.dep_manager: Any = None  # doit's Dependency, handed over by the first check

    def __getstate__(self) -> dict[str, Any]:
        # A task sent to a `doit -n` worker carries its checks, and so this book; the
        # dependency manager (an open database) stays in the main process.
        return {**self.__dict__, "dep_manager": None}

    def watch(self, tasks: Mapping[str, Any]) -> None:
        """Wrap the uptodate checks of ``tasks`` (doit Task objects) so their answers are noted.
        Called from a reporter's ``initialize``, before doit evaluates any of them."""
        for task in tasks.values():
            task.uptodate = [(_Noted(self, check), args, kwargs) if _wrappable(check)
                             else (check, args, kwargs) for check, args, kwargs in task.uptodate]

    def selected(self, task: Any) -> None:
        """Keep the spec records a task is about to rewrite. Called from ``get_status``: doit
        calls it before it checks or runs the task, in the main process even with ``-n``. The
        first content kept wins: a book that sees two runs (the CLI validates all specs first)
        compares with the content from before both."""
        self._verdicts.pop(task.name, None)  # what its checks answer now is noted afresh
        for target in task.targets:
            if Path(target).name in COMPARED and target not in self._before:
                self._before[target] = last_content(Path(target))

    def note(self, task_name: str, first_run: bool, stale: str | None) -> None:
        verdict = self._verdicts.setdefault(task_name, _Verdict())
        verdict.first_run = verdict.first_run or first_run
        if stale is not None:
            verdict.stale.append(stale)

    def why(self, task: Any) -> str:
        """The reason ``task`` runs (call it once doit decided to run it)."""
        verdict = self._verdicts.get(task.name, _Verdict())
        if verdict.first_run:
            return "first run (no successful run recorded)"
        # What the user changed says more than the check it upset (a new manifest also makes
        # "the cluster runs what was last deployed" false), so files come before checks.
        changed = task.dep_changed or self._changed_files(task)
        reasons = [f"{Path(t).name} is missing" for t in task.targets if not Path(t).exists()] \
            or [self._changed(Path(dep)) for dep in sorted(changed)] or verdict.stale
        return "; ".join(dict.fromkeys(reasons)) or "its inputs changed"

    def outcome(self, task: Any) -> str | None:
        """What a task that just succeeded found, when it says more than why it ran: the build
        and push stages note in their records that the registry had the image for their inputs
        (nothing built or pushed) or that its tag held another image. Call it from
        ``add_success``; a task that wrote no note has none."""
        for target in task.targets:
            if Path(target).name in NOTED:
                record = last_content(Path(target))
                note = record.get("note") if record is not None else None
                if note:
                    return str(note)
        return None

    def _changed_files(self, task: Any) -> list[str]:
        """doit stops looking at files once a check said "stale" (``task.dep_changed`` is then
        empty): ask its checker about each file the way it would have."""
        if self.dep_manager is None:
            return []
        checker = self.dep_manager.checker
        changed = []
        for dep in task.file_dep:
            state = self.dep_manager._get(task.name, dep)
            try:
                if state is None or checker.check_modified(dep, checker.info(dep), state):
                    changed.append(dep)
            except (OSError, checker.CheckerError):
                changed.append(dep)
        return changed

    def _changed(self, path: Path) -> str:
        if self._before.get(str(path)) is not None:
            fields = changed_fields(self._before[str(path)], last_content(path))
            if fields:
                shown = ", ".join(fields[:MAX_FIELDS])
                more = f" and {len(fields) - MAX_FIELDS} more" if len(fields) > MAX_FIELDS else ""
                return f"{shown}{more} changed"
        return f"{RECORD_NOUNS.get(path.name, path.name)} changed"


class _Noted(UptodateCalculator):  # type: ignore[misc]  # doit ships no type hints
    """An uptodate check that tells the book what it answered. Being an UptodateCalculator, it
    is handed doit's dependency manager, which knows whether the task ever succeeded."""

    def __init__(self, book: ReasonBook, check: Any) -> None:
        super().__init__()
        self.book = book
        self.check = check

    def setup(self, dep_manager: Any, tasks_dict: Any) -> None:
        super().setup(dep_manager, tasks_dict)
        self.book.dep_manager = dep_manager
        if isinstance(self.check, UptodateCalculator):
            self.check.setup(dep_manager, tasks_dict)

    def __call__(self, task: Any, values: Any, *args: Any, **kwargs: Any) -> Any:
        result = self.check(*_magic_args(self.check, task, values), *args, **kwargs)
        first_run = self.get_val is not None and self.get_val(task.name, "checker:") is None
        stale = None if result is None or result else describe(self.check)
        self.book.note(task.name, first_run, stale)
        return result

    def __repr__(self) -> str:  # doit info prints it
        return repr(self.check)


def _wrappable(check: Any) -> bool:
    return callable(check) and not isinstance(check, _Noted)


def _magic_args(check: Any, task: Any, values: Any) -> list[Any]:
    """The leading ``task``/``values`` arguments doit would pass to ``check`` (dependency.py)."""
    wants_task, wants_values = _wanted(check)
    return [*([task] if wants_task else []), *([values] if wants_values else [])]


# Whether a check's first two parameters are ``task`` and ``values``, by the function that
# defines them: inspect.signature costs ~50 us, and a no-op run asks it for every check of every
# task (~80 for 10 services) although they are instances of a handful of classes.
_WANTED: dict[Any, tuple[bool, bool]] = {}


def _wanted(check: Any) -> tuple[bool, bool]:
    # A function, or an instance of a class whose __call__ is one (the probes, config_changed);
    # anything else (a partial, a bound method) is asked each time.
    key: Any = check if inspect.isfunction(check) else type(check).__call__
    if not inspect.isfunction(key):
        key = None
    if key is not None and key in _WANTED:
        return _WANTED[key]
    names = list(inspect.signature(check).parameters)[:2]
    wanted = (names[:1] == ["task"], names[1:2] == ["values"])
    if key is not None:
        _WANTED[key] = wanted
    return wanted


def describe(check: Any) -> str:
    """A stale check in words. The probes of tasks/uptodate.py describe, in their repr, the
    condition that holds while the task is up to date."""
    if isinstance(check, config_changed):
        settings = check.config if isinstance(check.config, dict) else {"value": check.config}
        return "settings changed: " + ", ".join(f"{k}={v}" for k, v in settings.items())
    if "__repr__" in {name for cls in type(check).__mro__[:-1] for name in vars(cls)}:
        return f"no longer true: {check!r}"
    return f"{getattr(check, '__name__', type(check).__name__)} says it is out of date"


def changed_fields(old: Any, new: Any) -> list[str]:
    """The fields that differ between two spec records, in a user's words (``prop GREETING``)."""
    return list(dict.fromkeys(_words(path) for path in _diff(old, new, ())))


_MISSING = object()  # a key one side does not have (None is a value)


def _diff(old: Any, new: Any, path: tuple[str | int, ...]) -> list[tuple[str | int, ...]]:
    if isinstance(old, dict) and isinstance(new, dict):
        return [found for key in dict.fromkeys([*old, *new])
                if old.get(key, _MISSING) != new.get(key, _MISSING)
                for found in _diff(old.get(key), new.get(key), (*path, key))]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [found for index, (a, b) in enumerate(zip(old, new, strict=True)) if a != b
                for found in _diff(a, b, (*path, index))]
    return [path]


def _words(path: tuple[str | int, ...]) -> str:
    if path[:1] == ("spec",):  # the deploy record keeps the merged spec under "spec"
        path = path[1:]
    kinds = {"props": "prop", "secrets": "secret", "files": "file"}
    if len(path) >= 2 and path[0] in kinds:
        return f"{kinds[str(path[0])]} {path[1]}"
    return field_path(list(path)) or "the record"

