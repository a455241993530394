"""Exit codes of the ``hyscale`` command (HyScale's, docs/cli.md) and the errors that carry them.

An expected failure travels as a :class:`~hyscale_tasks.errors.HyscaleError` to the command's
boundary (``cli/__init__.py``), which prints it and exits with :func:`exit_code`.
"""

from __future__ import annotations

from hyscale_tasks.errors import HyscaleError, SpecError
from hyscale_tasks.spec.names import InvalidNameError

OK = 0
UNEXPECTED = 1  # a bug: the traceback is shown
INVALID_INPUT = 2  # bad option or name, missing file, invalid spec or profile; usage errors
FAILED = 11  # a command that failed on the way (HyScale's code for a failed deploy)
NO_CLUSTER_ACCESS = 202  # HyScale's group code for "get API client": no usable kubeconfig
INTERRUPTED = 130  # Ctrl-C or SIGTERM: finished stages are recorded

# HyScale's error-group codes, given per service in `deploy service -o json` as "exitCode". The
# cluster check of a service mid-run (the cluster stopped answering during an earlier build) is
# the check the command makes before any build: its code is that check's.
STAGE_CODES = {"spec": 15, "dockerfile": 60, "build": 75, "push": 90, "manifests": 105,
               "cluster": NO_CLUSTER_ACCESS, "deploy": 120}


class CliError(HyscaleError):
    """An expected failure of a command, with the exit code that tells it apart."""

    def __init__(self, cause: str, code: int = FAILED, fix: str | None = None,
                 details: str = "") -> None:
        super().__init__(cause, fix, details)
        self.code = code


class InvalidInputError(CliError):
    """Input HyScale refuses before doing anything; each message is printed on its own line."""

    def __init__(self, *messages: str) -> None:
        super().__init__("\n".join(messages), INVALID_INPUT)
        self.messages = list(messages)


def stage_code(stage: str | None) -> int:
    """The ``exitCode`` of a service whose ``stage`` failed (``deploy service -o json``)."""
    return STAGE_CODES.get(stage or "", FAILED)


def exit_code(error: HyscaleError) -> int:
    """The exit code of an expected failure: its own when it carries one, else by what it is
    about (a spec, a profile or a name is input HyScale refuses), else a failed command."""
    if isinstance(error, CliError):
        return error.code
    if isinstance(error, SpecError | InvalidNameError):
        return INVALID_INPUT
    return FAILED
