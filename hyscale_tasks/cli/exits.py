"""Exit codes of the ``hyscale`` command (HyScale's, docs/cli.md) and the errors that carry them."""

from __future__ import annotations

from hyscale_tasks.errors import HyscaleError

OK = 0
UNEXPECTED = 1  # a bug: the traceback is shown
INVALID_INPUT = 2  # bad option or name, missing file, invalid spec or profile; usage errors
FAILED = 11  # a command that failed on the way (HyScale's code for a failed deploy)
NO_CLUSTER_ACCESS = 202  # HyScale's group code for "get API client": no usable kubeconfig
INTERRUPTED = 130  # Ctrl-C or SIGTERM: finished stages are recorded

# HyScale's error-group codes, given per service in `deploy service -o json` as "exitCode".
STAGE_CODES = {"spec": 15, "dockerfile": 60, "build": 75, "push": 90, "manifests": 105,
               "deploy": 120}


class CliError(HyscaleError):
    """An expected failure of a command, with the exit code that tells it apart."""

    def __init__(self, message: str, code: int = FAILED) -> None:
        super().__init__(message)
        self.code = code


class InvalidInputError(CliError):
    """Input HyScale refuses before doing anything; each message is printed on its own line."""

    def __init__(self, *messages: str) -> None:
        super().__init__("\n".join(messages), INVALID_INPUT)
        self.messages = list(messages)
