"""Who and where: the apps folder, the app, its namespace and profile, and HYSCALE_HOME.

Resolved once per process, when tasks are loaded, from doit variables (``doit app=shop``), then
environment variables, then defaults (design §1). App and namespace are load-time inputs because
they are part of every task's state path.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from doit import get_initial_workdir, get_var
from doit.exceptions import InvalidCommand

from hyscale_tasks.errors import HyscaleError
from hyscale_tasks.home import hyscale_home
from hyscale_tasks.spec import names

DEFAULT_APPS = "apps"


@dataclass(frozen=True)
class Context:
    apps_dir: Path
    app: str
    namespace: str
    profile: str | None
    home: Path
    verbose: bool = False

    @property
    def app_home(self) -> Path:
        return self.home / "apps" / self.app


def _variable(name: str) -> str | None:
    value = get_var(name, None) or os.environ.get(f"HYSCALE_{name.upper()}")
    return str(value) if value else None


def find_apps(apps_dir: Path) -> list[str]:
    """Sub-folders of ``apps_dir`` that hold at least one .hspec (directly or one level down)."""
    if not apps_dir.is_dir():
        return []
    return sorted(entry.name for entry in apps_dir.iterdir()
                  if entry.is_dir() and not entry.name.startswith(".")
                  and (any(entry.glob("*.hspec")) or any(entry.glob("*/*.hspec"))))


def project_dir() -> Path:
    """Where relative ``apps=``, ``specs=`` and ``profile_files=`` paths start: the folder doit
    was started from."""
    return Path(get_initial_workdir() or ".").resolve()


def named_specs() -> tuple[Path, ...] | None:
    """Spec files named one by one instead of found in the app's folder, or None.

    ``doit specs=a.hspec:b.hspec`` or env ``HYSCALE_SPECS`` (``os.pathsep``-separated; relative to
    the folder doit was started from). The ``hyscale`` CLI uses it for ``-f`` files that may live
    anywhere. Each path is named as globbing a resolved apps folder names it (resolved folder, file
    name kept), so a spec deployed either way has the same file_dep paths and the same state.
    """
    value = _variable("specs")
    if value is None:
        return None
    base = project_dir()
    paths = [base / item for item in value.split(os.pathsep) if item]
    return tuple(dict.fromkeys(path.parent.resolve() / path.name for path in paths))


def named_profile_files() -> dict[str, Path]:
    """Profile files named by service instead of by ``profile=``: the ``hyscale`` CLI's ``-p``
    files, which may live anywhere (HyScale matches each to a service by its ``overrides``).

    ``doit profile_files=web=a.hprof:db=b.hprof`` or env ``HYSCALE_PROFILE_FILES``
    (``os.pathsep``-separated ``service=file`` pairs; files relative to the folder doit was
    started from)."""
    value = _variable("profile_files")
    if value is None:
        return {}
    base = project_dir()
    pairs = (item.partition("=") for item in value.split(os.pathsep) if item)
    return {service: (base / file).resolve() for service, _, file in pairs if service and file}


def forget_resolved() -> None:
    """Drop the cached context: the ``hyscale`` CLI (and its tests) run doit more than once per
    process, each time with its own app, namespace and spec files."""
    _resolve.cache_clear()


@contextmanager
def loading() -> Iterator[None]:
    """While doit loads the tasks, an expected failure is doit's ``InvalidCommand``: doit prints
    its text without a traceback and stops before any task. The loading's one translation."""
    try:
        yield
    except HyscaleError as exc:
        raise InvalidCommand(str(exc)) from None


def resolve(base: Path) -> Context:
    """The context for tasks loaded from a dodo file in ``base``; raise InvalidCommand if bad."""
    with loading():
        return _resolve(base)


@cache
def _resolve(base: Path) -> Context:
    apps_value = _variable("apps")
    apps_dir = (base / (apps_value or DEFAULT_APPS)).resolve()
    available = find_apps(apps_dir)
    app = _variable("app")
    if app is None:
        if len(available) != 1:
            listed = ", ".join(available) if available else "none"
            raise HyscaleError(f"Choose an app: {apps_dir} holds {len(available)} apps "
                               f"({listed}).", "run 'doit app=<name>' with one of them, or "
                               "'doit apps=<folder> app=<name>'.")
        app = available[0]
    names.check_app(app)
    if app not in available and named_specs() is None:  # named specs need no app folder
        raise HyscaleError(f"App '{app}' not found: {apps_dir / app} holds no .hspec file.",
                           f"use one of: {', '.join(available) or 'none'}; or point apps= at "
                           "the folder that holds your app.")
    namespace = names.check_namespace(_variable("namespace") or app)
    profile = _variable("profile")
    if profile is not None:
        names.check_profile(profile)
    verbose = (_variable("verbose") or "").lower() in ("1", "true", "yes")
    return Context(apps_dir, app, namespace, profile, hyscale_home(), verbose)
