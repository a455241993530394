"""Dockerfile generation follows HyScale's decision rules and template (§4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hyscale_tasks.dockerfile.generate import plan
from hyscale_tasks.errors import HyscaleError, SpecError
from hyscale_tasks.spec.records import make_records
from hyscale_tasks.stage_records import BuildSpecRecord, decide


def _record(tmp_path: Path, build: dict[str, Any]) -> BuildSpecRecord:
    return {"app": "app", "service": "x", "specFile": str(tmp_path / "x.hspec"), "specDir": str(tmp_path),
            "image": {"name": "x", "buildSpec": build}, "buildFiles": []}


@pytest.mark.parametrize(("image", "decision"), [
    ({"name": "x"}, "prebuilt-image"),
    ({"name": "x", "dockerfile": {}}, "user-dockerfile"),
    ({"name": "x", "buildSpec": {"stackImage": "tomcat:8"}}, "stack-image"),
    ({"name": "x", "buildSpec": {"stackImage": "t", "artifacts": []}}, "stack-image"),
    ({"name": "x", "buildSpec": {"stackImage": "t", "configCommands": "echo"}}, "generate"),
    ({"name": "x", "buildSpec": {"stackImage": "t", "runCommandsScript": "run.sh"}}, "generate"),
])
def test_skip_rules(image: dict[str, Any], decision: str) -> None:
    assert decide(image) == decision


def test_hyscales_template_with_artifact_and_configure_commands(tmp_path: Path) -> None:
    (tmp_path / "artifacts").mkdir()
    (tmp_path / "artifacts" / "hrms.war").write_bytes(b"war")
    result = plan(_record(tmp_path, {
        "stackImage": "tomcat:8.5.0-jre8",
        "artifacts": [{"name": "HRScaffold", "source": "artifacts/hrms.war",
                       "destination": "/usr/local/tomcat/webapps/"}],
        "configCommands": "echo hi"}))
    assert result.files["Dockerfile"][0].decode() == (
        "FROM tomcat:8.5.0-jre8\n"
        "COPY artifacts/HRScaffold/hrms.war /usr/local/tomcat/webapps/\n"
        "ADD configure.sh /hyscale/init_scripts/\n"
        "RUN chmod -R 755 /hyscale/init_scripts/\n"
        "RUN /hyscale/init_scripts/configure.sh\n")
    assert result.files["configure.sh"] == (b"#!/bin/sh\nset -e\nset -x\necho hi", 0o755)
    assert result.files["artifacts/HRScaffold/hrms.war"][0] == b"war"


def test_run_commands_become_the_entrypoint_and_commands_win_over_scripts(tmp_path: Path) -> None:
    (tmp_path / "config.sh").write_text("echo from script\n")
    result = plan(_record(tmp_path, {"stackImage": "busybox", "configCommands": "echo a",
                                     "configCommandsScript": "config.sh", "runCommands": "exec top"}))
    dockerfile = result.files["Dockerfile"][0].decode()
    assert dockerfile.endswith('ENTRYPOINT ["/bin/sh","/hyscale/init_scripts/run.sh"]\n')
    # The Dockerfile names the script the folder holds. HyScale's names the ignored script
    # (config.sh, as in its script-and-cmd.hspec fixture) but copies only configure.sh, so
    # its image build fails.
    assert "ADD configure.sh /hyscale/init_scripts/\n" in dockerfile
    assert "RUN /hyscale/init_scripts/configure.sh\n" in dockerfile
    assert "config.sh" not in dockerfile
    assert "config.sh" not in result.files
    assert result.warnings == ["Command and Script file both provided for CONFIGURE in build spec, "
                               "ignoring script file"]


def test_user_scripts_are_copied_under_their_own_name(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "start.sh").write_text("exec httpd\n")
    result = plan(_record(tmp_path, {"stackImage": "busybox", "runCommandsScript": "scripts/start.sh"}))
    assert result.files["start.sh"] == (b"exec httpd\n", 0o755)
    assert "ADD start.sh /hyscale/init_scripts/\n" in result.files["Dockerfile"][0].decode()


def test_an_artifact_keeps_its_file_mode(tmp_path: Path) -> None:
    tool = tmp_path / "tool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o750)
    result = plan(_record(tmp_path, {"stackImage": "b", "artifacts": [
        {"name": "bin", "source": "tool", "destination": "/usr/local/bin/"}]}))
    assert result.files["artifacts/bin/tool"][1] == 0o750


def test_an_artifact_that_vanished_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(HyscaleError, match=r"artifact .*missing\.war cannot be read"):
        plan(_record(tmp_path, {"stackImage": "b", "artifacts": [
            {"name": "a", "source": "missing.war", "destination": "/"}]}))


def test_a_record_of_an_earlier_version_still_names_the_missing_artifact(tmp_path: Path) -> None:
    # Build records written before the location was kept whole: "field" holds it as text.
    record = _record(tmp_path, {"stackImage": "b", "artifacts": [
        {"name": "a", "source": "missing.war", "destination": "/"}]})
    record["buildFiles"] = [{"field": "web.hspec:9: image.buildSpec.artifacts[0].source",
                             "path": str(tmp_path / "missing.war")}]
    with pytest.raises(HyscaleError) as caught:
        plan(record)
    assert str(caught.value).startswith("web.hspec:9: image.buildSpec.artifacts[0].source: "
                                        f"artifact {tmp_path / 'missing.war'} not found")


def test_a_dockerfile_folder_made_after_the_spec_was_read_is_accepted(tmp_path: Path) -> None:
    # dockerfilePath names a folder holding a Dockerfile; at render time it was not there yet.
    (tmp_path / "web.hspec").write_text("name: web\nimage:\n  name: shop/web\n"
                                        "  dockerfile:\n    dockerfilePath: docker\n")
    record = make_records(tmp_path / "web.hspec", None, "shop").build
    with pytest.raises(SpecError, match="Dockerfile docker not found"):
        plan(record)
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "Dockerfile").write_text("FROM busybox:1.36\n")
    assert plan(record).decision == "user-dockerfile"
