"""``hyscale deploy service`` with HYS_REGISTRY_CONFIG=true and no docker login on disk, as
HyScale's launcher runs it: the login piped in on standard input becomes the image-pull Secret
the pods of the real test cluster pull the (authenticated) test image with."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

from testing.registry import Registry
from testing.workspace import HYSCALE_TIMEOUT, Workspace, assert_no_secret


def test_a_deploy_pulls_with_the_login_piped_in(cli: Workspace, registry: Registry,
                                                app_ns: str) -> None:
    (cli.docker_config / "config.json").unlink()  # no docker login on disk
    auth = base64.b64encode(f"{registry.user}:{registry.password}".encode()).decode()
    document = json.dumps({"auths": {registry.host: {"auth": auth}}})
    spec = cli.testapp(cli.apps / app_ns / "web.hspec", "web")

    done = subprocess.run([sys.executable, "-m", "hyscale_tasks.cli", "deploy", "service", "-f",
                           str(spec), "-a", app_ns, "-n", app_ns], input=document + "\n",
                          cwd=cli.apps.parent, env={**cli.env(), "HYS_REGISTRY_CONFIG": "true"},
                          capture_output=True, text=True, timeout=HYSCALE_TIMEOUT, check=False)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "Missing credentials" not in done.stdout + done.stderr
    log = (cli.home / "logs" / "latest.log").read_text()
    assert "deploy:web finished" in log and "exit code 0" in log
    assert_no_secret(cli, registry.password, auth, document)
