"""Input bounds, through the real ``doit``: one row per bad input.

Each row is an app folder holding a bad spec, profile or referenced file, or a bad doit
variable, and the fragments the one error message must hold: ``file:line: field``, the cause
and the fix. Every row also checks what holds for all bad input: the run fails, prints no
traceback, writes nothing under the service's ``state/`` and ``generated-files/``, and never
prints a secret value. Rows run ``doit`` in a subprocess, as a user would; none needs Docker
or a cluster; the unreadable-file rows run it as user nobody when the tests run as root. A
run that takes longer than the workspace timeout (20 s) fails the row: the alias bomb, the
FIFO and the deep nesting rows are there for that.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from testing.workspace import AS_NOBODY, Workspace

WEB = "name: web\nimage:\n  name: shop/web\n"  # lines 1-3; rows append from line 4
BUILT = WEB + "  buildSpec:\n    stackImage: busybox:1.36\n"  # lines 1-5
PROFILE = "environment: dev\noverrides: web\n"  # lines 1-2
SECRET = "hunter2-do-not-print"  # a secret value no message may show
KiB = 1 << 10
MiB = 1 << 20

# A "billion laughs": 9 lines, 9**9 values once expanded; f (the 6th line) passes 100000.
BOMB = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True))

Setup = Callable[[Path], object]


@dataclass(frozen=True)
class Row:
    files: Mapping[str, str | bytes]
    expect: tuple[str, ...]  # fragments of stderr, in order
    variables: tuple[str, ...] = ()
    setup: Setup | None = None  # makes what text cannot (links, FIFOs, big files)
    env: Mapping[str, str] = field(default_factory=dict)
    unreadable: bool = False  # a file the run must not be able to read: see `another_user`


def row(id: str, files: Mapping[str, str | bytes], *expect: str, variables: tuple[str, ...] = (),
        setup: Setup | None = None, unreadable: bool = False) -> Any:
    return pytest.param(Row(files, expect, variables, setup, unreadable=unreadable), id=id)


def web(extra: str) -> dict[str, str | bytes]:
    return {"web.hspec": WEB + extra}


def link(name: str, target: str) -> Setup:
    def make(app: Path) -> None:
        (app / name).parent.mkdir(parents=True, exist_ok=True)
        (app / name).symlink_to(target)
    return make


def fifo(name: str) -> Setup:
    def make(app: Path) -> None:
        os.mkfifo(app / name)
    return make


def sparse(name: str, size: int) -> Setup:
    def make(app: Path) -> None:
        with (app / name).open("wb") as stream:
            stream.truncate(size)
    return make


def unreadable(name: str) -> Setup:
    def make(app: Path) -> None:
        (app / name).write_text("x\n")
        (app / name).chmod(0)
    return make


def outside(name: str) -> Setup:
    """A file beside the app folder (in the apps folder): outside the app."""
    def make(app: Path) -> None:
        (app.parent / name).write_text("from outside\n")
    return make


FIX = "  fix: "
PROFILED = ("profile=dev",)
OUTSIDE = "is outside the app folder"
OPT_IN = "HYSCALE_ALLOW_OUTSIDE_FILES=1"

ROWS = [
    # --------------------------------------------------------------- YAML bounds
    row("alias-bomb-in-props", web(BOMB + "props:\n  A: *i\n"),
        "web.hspec:9: f: YAML aliases expand this value to more than 100000 values",
        FIX + "Write the values out"),
    row("alias-bomb-in-profile", {"web.hspec": WEB, "dev-web.hprof": PROFILE + BOMB},
        "dev-web.hprof:8: f: YAML aliases expand", variables=PROFILED),
    row("alias-bomb-in-a-k8s-snippet", {**web("k8sSnippets: [patch.yaml]\n"),
                                        "patch.yaml": "kind: Deployment\n" + BOMB},
        "web.hspec:4: k8sSnippets[0]: Failed to read K8s Snippets from file patch.yaml, line 7: "
        "YAML aliases expand"),
    row("alias-inside-its-own-anchor", web("x-loop: &loop [1, *loop]\n"),
        "web.hspec:4: x-loop[1]: a YAML alias refers to the value that contains it",
        FIX + "Remove the *alias"),
    row("nested-too-deep", web("x-deep: " + "[" * 120 + "]" * 120 + "\n"),
        "web.hspec:4: x-deep: values nested more than 100 levels deep", FIX + "Flatten"),
    row("spec-over-1MiB", web("# " + "x" * (3 * MiB // 2) + "\n"),
        "web.hspec: service spec file is 1.5 MiB, more than the 1.0 MiB a spec or profile may have",
        FIX + "Keep big content out of the spec"),
    row("profile-over-1MiB", {"web.hspec": WEB, "dev-web.hprof": PROFILE + "#" * (2 * MiB)},
        "dev-web.hprof: profile file is 2.0 MiB", variables=PROFILED),
    row("k8s-snippet-over-1MiB", {**web("k8sSnippets: [patch.yaml]\n"),
                                  "patch.yaml": "kind: Deployment\n#" + "x" * (2 * MiB)},
        "web.hspec:4: k8sSnippets[0]: k8s snippet patch.yaml is 2.0 MiB", FIX),
    # --------------------------------------------------------------- files that cannot be read
    row("spec-symlink-loop", {}, "web.hspec: service spec file is a symbolic link loop",
        FIX + "Point the link at a real file", setup=link("web.hspec", "web.hspec")),
    row("profile-symlink-loop", {"web.hspec": WEB},
        "dev-web.hprof: profile file is a symbolic link loop", FIX + "Point the link",
        variables=PROFILED, setup=link("dev-web.hprof", "dev-web.hprof")),
    row("file-prop-symlink-loop", web("props:\n  motd: file(motd.txt)\n"),
        "web.hspec:5: props.motd: file() prop motd.txt is a symbolic link loop", FIX + "Point",
        setup=link("motd.txt", "motd.txt")),
    row("spec-is-a-fifo", {}, "web.hspec: service spec file is not a regular file but a named pipe",
        FIX + "Name a regular file.", setup=fifo("web.hspec")),
    row("file-prop-is-a-fifo", web("props:\n  motd: file(motd.txt)\n"),
        "web.hspec:5: props.motd: file() prop motd.txt is not a regular file but a named pipe",
        setup=fifo("motd.txt")),
    row("snippet-is-a-fifo", web("k8sSnippets: [patch.yaml]\n"),
        "web.hspec:4: k8sSnippets[0]: k8s snippet patch.yaml is not a regular file",
        setup=fifo("patch.yaml")),
    row("file-prop-unreadable", web("props:\n  motd: file(motd.txt)\n"),
        "web.hspec:5: props.motd: file() prop motd.txt cannot be read: permission denied",
        FIX + "Make it readable by this user (e.g. 'chmod a+r ", setup=unreadable("motd.txt"),
        unreadable=True),
    row("spec-unreadable", {}, "web.hspec: service spec file cannot be read: permission denied",
        setup=unreadable("web.hspec"), unreadable=True),
    # --------------------------------------------------------------- paths leaving the app
    row("file-prop-in-parent-folder", web("props:\n  motd: file(../shared.txt)\n"),
        f"web.hspec:5: props.motd: file() prop ../shared.txt {OUTSIDE}", FIX + "Move the file",
        OPT_IN, setup=outside("shared.txt")),
    row("file-prop-etc-passwd", web(f"props:\n  motd: file({'../' * 12}etc/passwd)\n"),
        f"web.hspec:5: props.motd: file() prop {'../' * 12}etc/passwd {OUTSIDE}",
        "(it is /etc/passwd"),
    row("file-prop-absolute", web("props:\n  shadow: file(/etc/shadow)\n"),
        f"web.hspec:5: props.shadow: file() prop /etc/shadow {OUTSIDE}"),
    row("file-prop-symlink-out", web("props:\n  host: file(host.txt)\n"),
        f"web.hspec:5: props.host: file() prop host.txt {OUTSIDE}", "(it is /etc/hostname",
        setup=link("host.txt", "/etc/hostname")),
    row("agent-file-prop-outside", web("agents:\n  - name: logs\n    image: busybox:1.36\n"
                                       "    props:\n      conf: file(/etc/passwd)\n"),
        f"web.hspec:8: agents[0].props.conf: file() prop /etc/passwd {OUTSIDE}"),
    row("profile-file-prop-outside",
        {"web.hspec": WEB, "dev-web.hprof": PROFILE + "props:\n  motd: file(/etc/passwd)\n"},
        f"dev-web.hprof:4: props.motd: file() prop /etc/passwd {OUTSIDE}", variables=PROFILED),
    row("artifact-source-outside",
        {"web.hspec": BUILT + "    artifacts:\n      - name: site\n        source: ../shared.txt\n"
                              "        destination: /www/\n"},
        f"web.hspec:8: image.buildSpec.artifacts[0].source: artifact ../shared.txt {OUTSIDE}",
        FIX + "Move the file", setup=outside("shared.txt")),
    row("artifact-source-absolute",
        {"web.hspec": BUILT + "    artifacts:\n      - name: keys\n        source: /etc/shadow\n"
                              "        destination: /www/\n"},
        f"web.hspec:8: image.buildSpec.artifacts[0].source: artifact /etc/shadow {OUTSIDE}"),
    row("configCommandsScript-outside",
        {"web.hspec": BUILT + "    configCommandsScript: /etc/profile\n"},
        f"web.hspec:6: image.buildSpec.configCommandsScript: script /etc/profile {OUTSIDE}"),
    row("k8s-snippet-outside", web("k8sSnippets: [../patch.yaml]\n"),
        f"web.hspec:4: k8sSnippets[0]: k8s snippet ../patch.yaml {OUTSIDE}",
        setup=outside("patch.yaml")),
    row("dockerfile-context-outside", web("  dockerfile:\n    path: ..\n"),
        f"web.hspec:5: image.dockerfile.path: build context .. {OUTSIDE}"),
    # --------------------------------------------------------------- sizes Kubernetes enforces
    row("file-prop-50MB", web("props:\n  blob: file(blob.bin)\n"),
        "web.hspec:5: props.blob: file() prop blob.bin is 50.0 MiB; a ConfigMap holds at most "
        "1.0 MiB", FIX + "Put a file this big into the image", setup=sparse("blob.bin", 50 * MiB)),
    row("props-add-up-over-1MiB", web("props:\n  a: file(a.bin)\n  b: file(b.bin)\n"),
        "web.hspec:5: props.a: the props add up to 1.2 MiB in the ConfigMap of service 'web'; "
        "Kubernetes allows 1.0 MiB (this one is 600.0 KiB)",
        setup=lambda app: (sparse("a.bin", 600 * KiB)(app), sparse("b.bin", 600 * KiB)(app))),
    row("secrets-add-up-over-1MiB",
        web(f"secretsVolumePath: /secrets\nsecrets:\n  CERT: {SECRET}{'S' * (600 * KiB)}\n"),
        "web.hspec:6: secrets.CERT: the secrets add up to 1.2 MiB in the Secret of service 'web'",
        FIX + "Keep big secret material", "create the Secret yourself"),
    row("annotation-over-256KiB", web(f"props:\n  BIG: {'v' * (300 * KiB)}\n"),
        "web.hspec:5: props.BIG: the spec is 300.", "hyscale.io/service-spec annotation; "
        "Kubernetes allows 256.0 KiB of annotations per object",
        FIX + "Move big values into files the spec names with file(...)"),
    row("label-value-over-63", web(f"labels:\n  team: {'t' * 64}\n"),
        "web.hspec:5: labels.team: service spec validation failed: ", "is 64 characters, more "
        "than the 63 allowed", FIX + "Use at most 63 letters"),
    row("label-key-invalid", web("labels:\n  'team name': payments\n"),
        "web.hspec:4: labels: service spec validation failed: \"team name\" is not in the "
        "expected form", FIX + "Write each label key as [prefix/]name"),
    row("service-name-over-63", {"web.hspec": f"name: {'w' * 64}\nimage:\n  name: shop/web\n"},
        "web.hspec:1: name: service spec validation failed: ", "is 64 characters, more than the "
        "63 allowed"),
    row("statefulset-name-over-52",
        {"web.hspec": f"name: {'w' * 53}\nimage:\n  name: shop/web\nvolumes:\n"
                      "  - name: data\n    path: /data\n"},
        "web.hspec:1: name: service name is 53 characters; a service with volumes runs as a "
        "StatefulSet", FIX + "Shorten the name to 52"),
    # --------------------------------------------------------------- unknown fields
    row("unknown-field-did-you-mean", web("replica: 3\n"),
        "web.hspec:4: replica: service spec validation failed: unknown field 'replica' (did you "
        "mean 'replicas'?)", FIX + "Rename 'replica' to 'replicas'."),
    row("unknown-nested-field", web("  tga: '1.0'\n"),
        "web.hspec:4: image.tga: service spec validation failed: unknown field 'tga' (did you mean "
        "'tag'?)"),
    row("unknown-field-wrong-case", web("ports:\n  - port: 8080/http\n    healthcheck: {}\n"),
        "web.hspec:6: ports[0].healthcheck: ", "unknown field 'healthcheck' (did you mean "
        "'healthCheck'?)"),
    row("unknown-field-no-close-name", web("colour: blue\n"),
        "web.hspec:4: colour: service spec validation failed: unknown field 'colour'",
        FIX + "Remove 'colour' or start its name with 'x-'", "the fields known here are: "),
    row("unknown-field-in-volume", web("volumes:\n  - name: data\n    path: /data\n    sise: 1Gi\n"),
        "web.hspec:7: volumes[0].sise: ", "(did you mean 'size'?)"),
    row("unknown-field-in-profile", {"web.hspec": WEB, "dev-web.hprof": PROFILE + "replcas: 2\n"},
        "dev-web.hprof:3: replcas: profile validation failed: unknown field 'replcas' (did you "
        "mean 'replicas'?)", variables=PROFILED),
    # --------------------------------------------------------------- ranges
    row("memory-range-inverted", web("memory: 2Gi-1Gi\n"),
        "web.hspec:4: memory: range 2Gi-1Gi is inverted: the minimum (request) 2Gi is more than "
        "the maximum (limit) 1Gi", FIX + "Write the smaller value first, e.g. memory: 1Gi-2Gi."),
    row("cpu-range-inverted", web("cpu: 1-250m\n"),
        "web.hspec:4: cpu: range 1-250m is inverted",
        FIX + "Write the smaller value first, e.g. cpu: 250m-1."),
    row("memory-range-inverted-by-profile",
        {"web.hspec": WEB + "memory: 512Mi\n", "dev-web.hprof": PROFILE + "memory: 1Gi-256Mi\n"},
        "dev-web.hprof:3: memory: range 1Gi-256Mi is inverted", variables=PROFILED),
    # --------------------------------------------------------------- secrets never shown
    row("secret-value-mistyped-as-mapping", web(f"secrets:\n  DB_PASSWORD: {{{SECRET}: 1}}\n"),
        "web.hspec:5: secrets.DB_PASSWORD: service spec validation failed: a secret value (a "
        "mapping of fields, not shown) is given where"),
    row("secret-value-as-list", web(f"secrets:\n  DB_PASSWORD: [{SECRET}]\n"),
        "secrets.DB_PASSWORD: ", "a secret value (a list, not shown)"),
    row("secrets-given-as-text", web(f"secrets: {SECRET}\n"),
        "web.hspec:4: secrets: service spec validation failed: a secret value (text, not shown)"),
    row("sidecar-secret-mistyped", web(f"agents:\n  - name: logs\n    image: busybox:1.36\n"
                                       f"    secrets:\n      TOKEN: [{SECRET}]\n"),
        "web.hspec:8: agents[0].secrets.TOKEN: ", "a secret value (a list, not shown)"),
    # --------------------------------------------------------------- doit variables
    row("app-that-does-not-exist", {"web.hspec": WEB}, "App 'nope' not found", "fix: ",
        variables=("app=nope",)),
    row("profile-that-does-not-exist", {"web.hspec": WEB},
        "Profile not found for services web: no prod-web.hprof", "fix: ", variables=("profile=prod",)),
    row("namespace-not-a-dns-label", {"web.hspec": WEB}, 'Namespace "Prod_NS" is invalid.',
        variables=("namespace=Prod_NS",)),
    row("profile-name-invalid", {"web.hspec": WEB}, 'Profile name "dev_1" is invalid.',
        variables=("profile=dev_1",)),
    row("app-name-invalid", {"web.hspec": WEB}, 'Application name "Bad_Name" is invalid.',
        variables=("app=Bad_Name",)),
]


def _written(workspace: Workspace) -> list[str]:
    service = workspace.service_dir("shop", "web")
    return [str(path) for folder in ("state", "generated-files")
            for path in (service / folder).rglob("*") if path.is_file()]


@pytest.fixture
def quick(workspace: Workspace) -> Workspace:
    workspace.timeout = 20.0  # a hang (an alias bomb, a FIFO read) fails the row
    return workspace


@pytest.fixture
def another_user() -> Iterator[Workspace]:
    """A workspace whose doit cannot read a file that is chmod 000. Root reads every file (and
    CI runs as root), so there doit runs as nobody, in a folder nobody may use (pytest's
    tmp_path is root's only): apps readable, HYSCALE_HOME writable."""
    as_root = os.geteuid() == 0
    if as_root and shutil.which("setpriv") is None:
        pytest.fail("running as root, these rows run doit as nobody with setpriv (util-linux)")
    root = Path(tempfile.mkdtemp(prefix="hyscale-unreadable-", dir="/tmp"))
    try:
        for folder, mode in ((root, 0o755), (root / "apps", 0o755), (root / "home", 0o777),
                             (root / "docker-config", 0o755)):
            folder.mkdir(exist_ok=True)
            folder.chmod(mode)
        yield Workspace(root / "apps", root / "home", root / "docker-config", timeout=20.0,
                        run_as=AS_NOBODY if as_root else ())
    finally:
        shutil.rmtree(root)


@pytest.mark.parametrize("bad", ROWS)
def test_bad_input_fails_with_one_located_message(bad: Row, request: pytest.FixtureRequest) -> None:
    quick: Workspace = request.getfixturevalue("another_user" if bad.unreadable else "quick")
    app = quick.apps / "shop"
    app.mkdir()
    for name, content in bad.files.items():
        data = content.encode() if isinstance(content, str) else content
        (app / name).write_bytes(data)
    if bad.setup is not None:
        bad.setup(app)
    variables = bad.variables if any(v.startswith("app=") for v in bad.variables) \
        else ("app=shop", *bad.variables)

    result = quick.doit(*variables, check=False)

    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    position = 0
    for fragment in bad.expect:
        found = result.stderr.find(fragment, position)
        assert found >= 0, f"{fragment!r} not in (or out of order in):\n{result.stderr[:3000]}"
        position = found + len(fragment)
    assert SECRET not in output
    assert _written(quick) == []


def test_there_are_at_least_40_rows() -> None:
    assert len(ROWS) >= 40


def test_opt_in_renders_a_file_from_outside_the_app(quick: Workspace) -> None:
    app = quick.apps / "shop"
    app.mkdir()
    (app / "web.hspec").write_text(WEB + "props:\n  motd: file(../shared.txt)\n")
    outside("shared.txt")(app)

    refused = quick.doit("app=shop", check=False)
    quick.extra_env["HYSCALE_ALLOW_OUTSIDE_FILES"] = "1"
    allowed = quick.doit("app=shop", check=False)

    assert refused.returncode == 1 and OUTSIDE in refused.stderr
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    config_map = quick.manifest("shop", "web", "configmap.yaml").read_text()
    assert "motd:" in config_map


def test_turning_the_opt_in_off_validates_the_spec_again(quick: Workspace) -> None:
    """The opt-in is an input of the spec stage: a spec rendered with it must not stay up to
    date once it is off, or the outside file would stay in the ConfigMap and the next deploy."""
    app = quick.apps / "shop"
    app.mkdir()
    (app / "web.hspec").write_text(WEB + "props:\n  motd: file(../shared.txt)\n")
    outside("shared.txt")(app)
    quick.extra_env["HYSCALE_ALLOW_OUTSIDE_FILES"] = "1"
    quick.doit("app=shop")
    assert quick.doit("app=shop").executed == []

    del quick.extra_env["HYSCALE_ALLOW_OUTSIDE_FILES"]
    refused = quick.doit("app=shop", check=False)

    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert refused.executed == ["spec:web"]
    assert f"web.hspec:5: props.motd: file() prop ../shared.txt {OUTSIDE}" in refused.stderr
    assert OPT_IN in refused.stderr


def test_a_symlink_that_stays_in_the_app_is_fine(quick: Workspace) -> None:
    app = quick.apps / "shop"
    (app / "config").mkdir(parents=True)
    (app / "config" / "motd.txt").write_text("hello\n")
    (app / "motd.txt").symlink_to("config/motd.txt")
    (app / "web.hspec").write_text(WEB + "props:\n  motd: file(motd.txt)\nx-note: fine\n")

    result = quick.doit("app=shop", check=False)

    assert result.returncode == 0, result.stdout + result.stderr
