"""Ctrl-C for the processes the tests and the benchmarks start."""

from __future__ import annotations

import signal


def restore_ctrl_c() -> None:
    """Ctrl-C as in a terminal for every process started from here on. A run started in the
    background of a non-interactive shell (``cmd &``) inherits SIGINT ignored, and so would each
    doit and hyscale process it starts: the tool rightly leaves an ignored signal ignored (as
    nohup asks), and a test or benchmark that presses Ctrl-C would see nothing happen. A handled
    signal is reset to its default in a new program."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
