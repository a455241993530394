"""A no-op deploy reads the cluster through the endpoint the official client resolved in an
earlier run (hyscale_tasks/cluster/endpoint.py), without importing the client, and falls back to
the client whenever that endpoint no longer works: what a user sees never changes.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import yaml
from kubernetes import client

from testing.audit import writes
from testing.cluster import Cluster
from testing.workspace import NewApp, Workspace


def _kept_entry(app: Workspace) -> Path:
    [folder] = (app.home / "cache" / "cluster").iterdir()
    return folder


def test_a_noop_deploy_never_imports_the_kubernetes_client(new_app: NewApp, cluster: Cluster,
                                                           tmp_path: Path) -> None:
    app = new_app("kept")
    app.web(props={"A": "1"}, secrets={"S": "kept-secret"})
    app.deploy()
    shadow = tmp_path / "no-kubernetes" / "kubernetes"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text('raise ImportError("the no-op imported the client")\n')
    app.extra_env["PYTHONPATH"] = str(shadow.parent)

    mark = len(cluster.audit())
    again = app.deploy()

    assert again.returncode == 0 and again.executed == [], again.stdout + again.stderr
    assert writes(cluster.audit()[mark:]) == []
    entry = _kept_entry(app)
    assert stat.S_IMODE(entry.stat().st_mode) == 0o700
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in entry.iterdir()} == \
        {"endpoint.json": 0o600, "ca": 0o600, "cert": 0o600, "key": 0o600}

    # A drift is still seen (and put right, by the client, imported for the deploy itself)
    cluster.core().delete_namespaced_service("web", app.namespace)
    app.extra_env.pop("PYTHONPATH")
    assert app.deploy().executed == ["deploy:web"]


def _exec_kubeconfig(cluster: Cluster, plugin: Path, target: Path) -> Path:
    """The tool's kubeconfig with its client certificate replaced by an exec plugin."""
    document = yaml.safe_load(cluster.kubeconfig.read_text())
    document["users"][0]["user"] = {"exec": {
        "apiVersion": "client.authentication.k8s.io/v1", "command": str(plugin),
        "interactiveMode": "Never"}}
    target.write_text(yaml.safe_dump(document))
    return target


def _bound_token(core: client.CoreV1Api, namespace: str, secret: str) -> str:
    """A service account token that is valid while the Secret ``secret`` exists."""
    core.create_namespaced_secret(namespace, client.V1Secret(metadata=client.V1ObjectMeta(
        name=secret), string_data={"purpose": "binds a test token"}))
    request = core.create_namespaced_service_account_token(
        "deployer", namespace, client.AuthenticationV1TokenRequest(
            spec=client.V1TokenRequestSpec(
                audiences=[], expiration_seconds=3600,
                bound_object_ref=client.V1BoundObjectReference(
                    kind="Secret", api_version="v1", name=secret))))
    return str(request.status.token)


def test_an_exec_plugin_runs_again_once_the_server_refuses_its_kept_token(
        new_app: NewApp, cluster: Cluster, tmp_path: Path) -> None:
    core = cluster.core()
    home = cluster.namespace("creds")  # where the deployer and its tokens live
    core.create_namespaced_service_account(home, client.V1ServiceAccount(
        metadata=client.V1ObjectMeta(name="deployer")))
    rbac = client.RbacAuthorizationV1Api(cluster.api_client())
    binding = f"{home}-deployer"
    rbac.create_cluster_role_binding(client.V1ClusterRoleBinding(
        metadata=client.V1ObjectMeta(name=binding),
        role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="ClusterRole",
                                  name="cluster-admin"),
        subjects=[client.RbacV1Subject(kind="ServiceAccount", name="deployer", namespace=home)]))
    try:
        token_file, runs = tmp_path / "token", tmp_path / "runs"
        plugin = tmp_path / "credential-plugin"
        plugin.write_text(
            "#!/bin/sh\n"
            f"echo ran >> {runs}\n"
            'printf \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",'
            f'"status":{{"token":"%s"}}}}\' "$(cat {token_file})"\n')
        plugin.chmod(0o755)
        token_file.write_text(_bound_token(core, home, "first"))
        app = new_app("exec", kubeconfig=_exec_kubeconfig(cluster, plugin,
                                                          tmp_path / "exec.kubeconfig"))
        app.web(props={"A": "1"})
        app.deploy()
        ran = len(runs.read_text().splitlines())

        assert app.deploy().executed == []
        assert len(runs.read_text().splitlines()) == ran, "the no-op ran the plugin again"
        kept = json.loads((_kept_entry(app) / "endpoint.json").read_text())
        assert kept["authorization"] == f"Bearer {token_file.read_text()}"

        # The token is revoked (its bound Secret goes) and the plugin now hands out another one
        core.delete_namespaced_secret("first", home)
        token_file.write_text(_bound_token(core, home, "second"))
        cluster.wait_for(lambda: _refused(cluster, kept["authorization"]))
        again = app.deploy()

        assert again.returncode == 0 and again.executed == [], again.stdout + again.stderr
        assert len(runs.read_text().splitlines()) == ran + 1
        kept = json.loads((_kept_entry(app) / "endpoint.json").read_text())
        assert kept["authorization"] == f"Bearer {token_file.read_text()}"
    finally:
        rbac.delete_cluster_role_binding(binding)


def _refused(cluster: Cluster, authorization: str) -> bool:
    """Whether the API server now refuses this Authorization header (its authenticator keeps a
    token's verdict for a few seconds)."""
    settings = cluster.settings(cluster.kubeconfig)
    settings.cert_file = settings.key_file = None
    settings.api_key = {"BearerToken": authorization}
    with client.ApiClient(settings) as api:
        try:
            client.CoreV1Api(api).get_api_resources()
        except client.ApiException as exc:
            return bool(exc.status == 401)
    return False


def test_parallel_deploys_share_a_private_discovery_and_leave_no_credentials(
        new_app: NewApp, tmp_path: Path) -> None:
    """The dynamic client's discovery cache is the user's own file, written whole: deploy
    processes starting together (``-n 4 -P process``) never read half of one (the client's
    default, a file in the shared /tmp rewritten in place, made them log ``load cache error``).
    And no worker leaves the client certificate and key it wrote from the kubeconfig in the temp
    folder: a worker ends with os._exit, which skips atexit (one copy of the key per worker
    was left in /tmp)."""
    app = new_app("discover")
    for name in ("one", "two", "three", "four"):
        app.web(name)
    temp = tmp_path / "tmp"
    temp.mkdir()
    app.extra_env["TMPDIR"] = str(temp)

    result = app.deploy(extra=["-n", "4", "-P", "process"])

    assert result.returncode == 0 and len(result.executed) > 4, result.stdout + result.stderr
    assert sorted(temp.rglob("*")) == []
    assert "cache error" not in result.stderr, result.stderr
    [cache] = (app.home / "cache" / "discovery").iterdir()
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    assert "v1" in json.loads(cache.read_text())["resources"]["apis"]["apps"]
