"""The exit code of an expected failure, decided where the command prints it (cli/exits.py)."""

from __future__ import annotations

from pathlib import Path

from hyscale_tasks.cli import exits
from hyscale_tasks.cli.progress import STAGES
from hyscale_tasks.errors import HyscaleError, SpecError, SpecLocation
from hyscale_tasks.spec.names import InvalidNameError


def test_an_error_with_a_code_keeps_it_and_its_fix() -> None:
    error = exits.CliError("Cannot find kubeconfig", exits.NO_CLUSTER_ACCESS, "set KUBECONFIG.")
    assert exits.exit_code(error) == exits.NO_CLUSTER_ACCESS
    assert str(error) == "Cannot find kubeconfig\n  fix: set KUBECONFIG."


def test_a_spec_profile_or_name_error_is_invalid_input_and_others_a_failure() -> None:
    spec = SpecError(SpecLocation(Path("dev-web.hprof"), 3, "replicas"), "not a number", "fix it")
    assert exits.exit_code(spec) == exits.INVALID_INPUT
    assert exits.exit_code(InvalidNameError('Namespace "X" is invalid.')) == exits.INVALID_INPUT
    assert exits.exit_code(exits.InvalidInputError("a", "b")) == exits.INVALID_INPUT
    assert exits.exit_code(HyscaleError("the push failed")) == exits.FAILED


def test_every_stage_a_deploy_shows_has_hyscales_code_for_a_failed_service() -> None:
    assert set(exits.STAGE_CODES) == set(STAGES)
    assert exits.stage_code("push") == 90
    # the cluster stopped answering after the command's own check: that check's code
    assert exits.stage_code("cluster") == exits.NO_CLUSTER_ACCESS
    assert exits.stage_code(None) == exits.FAILED
