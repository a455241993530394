"""The checks HyScale makes on a command's input before it does anything, with its messages.

Names use its regexes (spec/names.py). Spec and profile files must exist, be files and not be
empty (its FileValidator). All problems are collected and reported together, as its bean
validation does; anything wrong here is exit code 2 and nothing has been touched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

from hyscale_tasks.cli.exits import InvalidInputError
from hyscale_tasks.cluster.operation_checks import lines_problem, scale_problem
from hyscale_tasks.spec import names

OUTPUT_PATTERN = "JSON|json"
SPEC_FILE_PATTERN = r"^[a-z]([-a-z0-9]*[a-z0-9])?(\.hspec)$"
PROFILE_FILE_PATTERN = r"^([-a-zA-Z0-9]){2,30}-[a-z]([-a-z0-9]*[a-z0-9])?(\.hprof)$"


def check_names(*, app: str | None = None, namespace: str | None = None,
                services: Iterable[str] = (), output: str | None = None) -> None:
    """Raise :class:`InvalidInputError` with one ``Invalid input::`` message per bad value."""
    problems: list[str] = []
    checks: list[tuple[Callable[[str], str], str | None]] = [
        (names.check_app, app), (names.check_namespace, namespace),
        *((names.check_service, service) for service in services)]
    for check, value in checks:
        if value is None:
            continue
        try:
            check(value)
        except names.InvalidNameError as exc:
            problems.append(f"Invalid input:: {exc}")
    if output is not None and not re.fullmatch(OUTPUT_PATTERN, output):
        problems.append(f'Invalid input:: Output format "{output}" is invalid. '
                        "Supported format is json.")
    if problems:
        raise InvalidInputError(*problems)


def check_files(paths: Iterable[str], pattern: str, recommendation: str) -> tuple[list[Path],
                                                                                   list[str]]:
    """The files as absolute paths, and HyScale's warnings for names off its convention."""
    problems: list[str] = []
    warnings: list[str] = []
    found: list[Path] = []
    for given in paths:
        path = Path(given).absolute()
        if not path.exists():
            problems.append(f"Cannot find file {path}")
        elif path.is_dir():
            problems.append(f"Found directory {path} instead of file")
        elif not path.is_file():
            problems.append(f"Given input {path} is not a file.Expecting file input.")
        elif path.stat().st_size == 0:
            problems.append(f"Empty file {path} cannot be processed.")
        else:
            found.append(path)
            if not re.fullmatch(pattern, path.name):
                warnings.append(f"{recommendation} ({path.name})")
    if problems:
        raise InvalidInputError(*problems)
    return found, warnings


def spec_files(paths: Iterable[str]) -> tuple[list[Path], list[str]]:
    return check_files(paths, SPEC_FILE_PATTERN,
                       "Recommended file name pattern for service spec is <service-name>.hspec")


def profile_files(paths: Iterable[str]) -> tuple[list[Path], list[str]]:
    return check_files(paths, PROFILE_FILE_PATTERN, "Recommended file name pattern for profile "
                       "is <environment>-<service-name>.hprof")


def check_scale(up: int | None, down: int | None, to: int | None) -> None:
    problem = scale_problem(up, down, to)
    if problem is not None:
        raise InvalidInputError(problem)


def check_lines(lines: int) -> None:
    problem = lines_problem(lines)
    if problem is not None:
        raise InvalidInputError(problem)
