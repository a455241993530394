"""Bad input: malformed specs and profiles, each with the message the user gets (design §7).

Every error names the file, the line, the field, the cause and a fix; the doit run exits
non-zero, prints no traceback and writes nothing under the service's ``state/`` and
``generated-files/`` folders.

How to read a case: the files of one app folder are written into ``tmp_path``; ``web.hspec``
is the spec, ``profile=`` names the profile applied to it. The line the error must point at is
the one marked ``# <--`` in the file the error must name (``where``), unless ``line=`` says
otherwise (an empty file has no line to mark). ``cause`` is a distinctive part of the cause,
``fix`` (optional) a distinctive part of the fix; a fix must always be there.

Cases marked ``BUG(...)`` are product problems found while writing this suite: they state the
message we want and are strict xfails, so fixing the product makes them fail until the mark goes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest
import yaml

from hyscale_tasks.errors import HyscaleError, SpecError
from hyscale_tasks.spec import names
from hyscale_tasks.spec.build_files import check_present
from hyscale_tasks.spec.profiles import find_profile
from hyscale_tasks.spec.records import make_records

PROJECT = Path(__file__).resolve().parents[2]
MARK = "# <--"
GENERIC_FIX = "See the field reference in the README."

# A valid spec of service ``web``: most cases append the bad part to it.
WEB = "name: web\nimage:\n  name: shop/web\n"
# A valid spec built from a stack image, for the buildSpec cases.
BUILT = WEB + "  buildSpec:\n    stackImage: busybox:1.36\n"


def BUG(reason: str) -> pytest.MarkDecorator:  # noqa: N802 - reads as a label in the tables
    return pytest.mark.xfail(strict=True, reason=reason)


def web(extra: str = "") -> str:
    return WEB + extra


def built(extra: str = "") -> str:
    """``BUILT`` followed by ``extra``, which is indented as under ``buildSpec``."""
    return BUILT + extra


@dataclass(frozen=True)
class Case:
    files: Mapping[str, str]
    where: str  # the file the error must name, relative to the app folder
    field: str
    cause: str
    profile: str | None = None
    line: int | None = None  # None: the line marked MARK in ``where``
    fix: str = ""


def case(id: str, spec: str, field: str, cause: str, *, files: Mapping[str, str] | None = None,
         where: str = "web.hspec", profile: str | None = None, line: int | None = None,
         fix: str = "", bug: str | None = None) -> Any:
    """One row: ``spec`` is ``web.hspec``; ``files`` are the other files of the app folder."""
    row = Case({"web.hspec": spec, **(files or {})}, where, field, cause, profile, line, fix)
    return pytest.param(row, id=id, marks=[BUG(bug)] if bug else [])


def profiled(id: str, profile_text: str, field: str, cause: str, *, spec: str = WEB,
             name: str = "dev-web.hprof", **kwargs: Any) -> Any:
    """A row whose error is in the profile ``name`` applied to ``spec``."""
    return case(id, spec, field, cause, files={name: profile_text, **kwargs.pop("files", {})},
                where=kwargs.pop("where", name), profile=name, **kwargs)


# --------------------------------------------------------------------------- YAML

YAML_CASES = [
    case("yaml-tab-indentation", "name: web\nimage:\n\tname: shop/web  # <--\n",
         "", "incorrect YAML format", fix="spaces"),
    case("yaml-unclosed-quote", 'name: "web  # <--\nimage:\n  name: shop/web\n',
         "", "incorrect YAML format: while scanning a quoted scalar that is never closed",
         fix="Close the quote or bracket opened on this line."),
    case("yaml-placeholder", web("ports:\n  - port: {{port}}  # <--\n"),
         "", "incorrect YAML format", fix="placeholder"),
    case("yaml-placeholder-in-name", "name: web\nimage:\n  name: {{username}}/web  # <--\n",
         "", "incorrect YAML format", fix="placeholder"),
    case("yaml-empty-file", "", "", "service spec file is empty", line=1, fix="name:"),
    case("yaml-only-comments", "# name: web\n", "", "service spec file is empty", line=1),
    case("yaml-list-at-top-level", "- name: web  # <--\n- image: {name: shop/web}\n",
         "", "must be a YAML mapping of fields, found list"),
    case("yaml-duplicated-key", web("name: api  # <--\n"),
         "name", "field is written twice", fix="Remove one"),
    case("yaml-duplicated-nested-key", "name: web\nimage:\n  name: shop/web\n  name: x  # <--\n",
         "image.name", "field is written twice"),
    case("yaml-two-documents", web("---  # <--\nname: api\n"), "",
         "incorrect YAML format: a second YAML document starts here",
         fix="holds one YAML document: remove the second '---'"),
    # The bad byte is on line 3, so the line is computed, not a default.
    case("yaml-not-utf8", "name: web\nimage:\n  name: shop/w\udce9b  # <--\n",
         "", "service spec file is not UTF-8 text", fix="UTF-8"),
    # A '<<' merge key is skipped by the duplicate check, explicit keys still are not.
    case("yaml-duplicated-key-next-to-a-merge-key",
         web("x-defaults: &volume\n  size: 1Gi\nvolumes:\n  - <<: *volume\n    name: data\n"
             "    path: /data\n    path: /other  # <--\n"),
         "volumes[0].path", "field is written twice", fix="Remove one"),
]

# --------------------------------------------------------------------------- schema

SCHEMA_CASES = [
    # A missing field is located at the field itself, on its parent's line (line 1 at the top).
    case("missing-name", "image:  # <--\n  name: shop/web\n", "name", "'name' is required here",
         fix="Add 'name'. Use lower-case letters"),
    case("missing-image", "name: web  # <--\nports:\n  - port: 80\n", "image",
         "'image' is required here", fix="Add 'image'. Write image as a mapping"),
    case("missing-image-name", "name: web\nimage:  # <--\n  tag: '1.0'\n", "image.name",
         "'name' is required here", fix="Add 'name'. Write name as an image repository"),
    case("image-not-a-mapping", "name: web\nimage: shop/web  # <--\n", "image",
         '"shop/web" is given where a mapping of fields is expected', fix="mapping"),
    case("service-name-Web_1", "name: Web_1  # <--\nimage:\n  name: shop/web\n", "name",
         '"Web_1" is not in the expected form', fix="lower-case"),
    case("service-name-a-number", "name: 123  # <--\nimage:\n  name: shop/web\n", "name",
         "123 is given where text is expected", fix="lower-case"),
    case("replicas-two", web("replicas: two  # <--\n"), "replicas",
         '"two" is given where a whole number or a mapping of fields is expected',
         fix="replicas: 2"),
    case("replicas-negative", web("replicas: -1  # <--\n"), "replicas",
         "-1 is out of range (-1 is less than the minimum of 0)", fix="replicas: 2"),
    case("replicas-struct-without-max", web("replicas:  # <--\n  min: 1\n  cpuThreshold: 70%\n"),
         "replicas.max", "'max' is required here", fix="Add 'max'. Write max as a whole number"),
    case("replicas-cpuThreshold-without-percent",
         web("replicas:\n  min: 1\n  max: 3\n  cpuThreshold: 70  # <--\n"),
         "replicas.cpuThreshold", "70 is given where text is expected", fix="70%"),
    case("memory-lots", web("memory: lots  # <--\n"), "memory",
         '"lots" is not in the expected form', fix="Mi"),
    case("cpu-fast", web("cpu: fast  # <--\n"), "cpu", '"fast" is not in the expected form',
         fix="500m"),
    case("port-http", web("ports:\n  - port: http  # <--\n"), "ports[0].port",
         '"http" is not in the expected form', fix="8080/http"),
    case("port-70000", web("ports:\n  - port: 70000  # <--\n"), "ports[0].port",
         "70000 is out of range (70000 is greater than the maximum of 65535)", fix="65535"),
    case("port-0", web("ports:\n  - port: 0  # <--\n"), "ports[0].port",
         "0 is out of range (0 is less than the minimum of 1)", fix="from 1 to 65535"),
    case("ports-not-a-list", web("ports: 8080  # <--\n"), "ports",
         "8080 is given where a list is expected", fix="list"),
    case("healthCheck-path-without-slash",
         web("ports:\n  - port: 8080/http\n    healthCheck: {httpPath: health}  # <--\n"),
         "ports[0].healthCheck.httpPath", '"health" is not in the expected form',
         fix="/health"),
    case("volume-without-name", web("volumes:\n  - path: /data  # <--\n    size: 1Gi\n"),
         "volumes[0].name", "'name' is required here", fix="Add 'name'. Use at most 63"),
    case("volume-relative-path", web("volumes:\n  - name: data\n    path: data  # <--\n"),
         "volumes[0].path", '"data" is not in the expected form', fix="absolute"),
    # HyScale's ManifestValidator rule for a blank path is gone: the schema pattern rejects it.
    case("volume-path-blank", web("volumes:\n  - name: data\n    path: ''  # <--\n"),
         "volumes[0].path", "an empty text is not in the expected form",
         fix="Write path as an absolute path"),
    case("volume-size-huge",
         web("volumes:\n  - name: data\n    path: /data\n    size: huge  # <--\n"),
         "volumes[0].size", '"huge" is not in the expected form', fix="1Gi"),
    case("props-value-a-list", web("props:\n  COLORS: [red, green]  # <--\n"),
         "props.COLORS",
         '["red", "green"] is given where text or a number or true or false is expected',
         fix="LOG_LEVEL"),
    case("secrets-a-number", web("secrets: 42  # <--\n"), "secrets",
         "a secret value (a whole number, not shown) is given where a list or a mapping of fields "
         "is expected", fix="DB_PASSWORD"),
    case("dockerfile-and-buildSpec",
         "name: web\nimage:  # <--\n  name: shop/web\n  dockerfile: {}\n"
         "  buildSpec:\n    stackImage: busybox:1.36\n",
         "image", "Expected either Dockerfile or BuildSpec. Cannot accept both to define image "
         "spec", fix="Keep only one"),
    case("buildSpec-without-stackImage",
         web("  buildSpec:  # <--\n    runCommands: exec httpd -f\n"),
         "image.buildSpec.stackImage", "'stackImage' is required here",
         fix="Add 'stackImage'. Write stackImage as an image reference"),
    case("buildSpec-blank-stackImage", web("  buildSpec:\n    stackImage: ''  # <--\n"),
         "image.buildSpec.stackImage", "an empty text is not in the expected form",
         fix="stackImage: \"tomcat"),
    case("artifact-without-destination",
         built("    artifacts:\n      - name: site  # <--\n        source: site/index.html\n"),
         "image.buildSpec.artifacts[0].destination", "'destination' is required here",
         fix="Add 'destination'. Write destination as"),
    case("external-maybe", web("external: maybe  # <--\n"), "external",
         '"maybe" is given where true or false is expected', fix="true or false"),
    case("agent-without-image", web("agents:\n  - name: logs  # <--\n"), "agents[0].image",
         "'image' is required here", fix="Add 'image'. Write image as an image reference"),
    case("agent-volume-without-attach",
         web(dedent("""\
             volumes:
               - name: data
                 path: /data
             agents:
               - name: logs
                 image: busybox:1.36
                 volumes:
                   - mountPath: /data  # <--
             """)),
         "agents[0].volumes[0].attach", "'attach' is required here",
         fix="Add 'attach'. Write attach as the name of a volume"),
    case("allowTraffic-not-a-list",
         web("ports:\n  - port: 8080\nallowTraffic:  # <--\n  ports: [8080]\n"),
         "allowTraffic", '{"ports": [8080]} is given where a list is expected',
         fix="list of rules"),
    case("loadBalancer-sticky-sometimes",
         web(dedent("""\
             external: true
             ports:
               - port: 8080/http
             loadBalancer:
               provider: nginx
               host: web.example.com
               sticky: sometimes  # <--
               mapping:
                 - port: 8080/http
                   contextPaths: [/]
             """)),
         "loadBalancer.sticky", '"sometimes" is given where true or false is expected',
         fix="true or false"),
    case("loadBalancer-provider-haproxy",
         web(dedent("""\
             external: true
             ports:
               - port: 8080/http
             loadBalancer:
               provider: haproxy  # <--
               host: web.example.com
               mapping:
                 - port: 8080/http
                   contextPaths: [/]
             """)),
         "loadBalancer.provider", '"haproxy" is not in the expected form', fix="nginx"),
    case("k8sSnippets-a-string", web("k8sSnippets: file.yaml  # <--\n"), "k8sSnippets",
         '"file.yaml" is given where a list is expected', fix="list"),
    case("image-tag-with-a-space", web('  tag: "bad tag"  # <--\n'), "image.tag",
         '"bad tag" is not in the expected form', fix="Quote the tag"),
    case("startCommand-a-number", web("startCommand: 5  # <--\n"), "startCommand",
         "5 is given where text is expected", fix="comma-separated"),
    case("allowTraffic-from-a-mapping",
         web("ports:\n  - port: 80\nallowTraffic:\n  - ports: [80]\n    from: {a: 1}  # <--\n"),
         "allowTraffic[0].from", '{"a": 1} is given where a list is expected',
         fix="from: [web, api]"),
]

# --------------------------------------------------------------------------- cross-field rules

LB_PORTS = "external: true\nports:\n  - port: 8080/http\n"
RULE_CASES = [
    case("duplicate-agent-and-service-port",
         web(dedent("""\
             ports:
               - port: 8080
             agents:
               - name: logs
                 image: busybox:1.36
                 ports:
                   - port: 8080/tcp  # <--
             """)),
         "agents[0].ports[0].port", "Invalid Service Spec. Duplicate ports found : 8080/tcp",
         fix="port"),
    case("duplicate-port-between-agents",
         web(dedent("""\
             agents:
               - name: logs
                 image: busybox:1.36
                 ports:
                   - port: 9090
               - name: metrics
                 image: busybox:1.36
                 ports:
                   - port: 9090  # <--
             """)),
         "agents[1].ports[0].port", "Duplicate ports found : 9090/tcp"),
    case("external-with-allowTraffic",
         web("external: true\nports:\n  - port: 8080\nallowTraffic:  # <--\n"
             "  - ports: [8080]\n    from: [frontend]\n"),
         "allowTraffic", "Invalid Service Spec. Traffic rules cannot be applied to a service "
         "exposed externally.", fix="external: false"),
    case("allowTraffic-rule-without-ports",
         web("ports:\n  - port: 8080\nallowTraffic:\n  - from: [frontend]  # <--\n"),
         "allowTraffic[0]", "Invalid Service Spec. Missing required field 'ports' in "
         "allowTraffic.", fix="ports: [8080]"),
    case("allowTraffic-port-not-exposed",
         web("ports:\n  - port: 8080\nallowTraffic:\n  - ports: [9090]  # <--\n"
             "    from: [frontend]\n"),
         "allowTraffic[0].ports[0]", "Invalid Service Spec. Traffic rules cannot be applied to a "
         "port that is not exposed on the Service", fix="ports"),
    case("loadBalancer-without-host",
         web(LB_PORTS + "loadBalancer:  # <--\n  provider: nginx\n  mapping:\n"
             "    - port: 8080/http\n      contextPaths: [/]\n"),
         "loadBalancer", "LoadBalancer host name is required.", fix="host:"),
    case("loadBalancer-without-provider",
         web(LB_PORTS + "loadBalancer:  # <--\n  host: web.example.com\n  mapping:\n"
             "    - port: 8080/http\n      contextPaths: [/]\n"),
         "loadBalancer", "LoadBalancer provider name is required.", fix="provider:"),
    case("loadBalancer-without-mapping",
         web(LB_PORTS + "loadBalancer:  # <--\n  provider: nginx\n  host: web.example.com\n"),
         "loadBalancer", "Path mapping for loadBalancer is required.", fix="mapping:"),
    case("loadBalancer-mapping-without-contextPaths",
         web(LB_PORTS + "loadBalancer:\n  provider: nginx\n  host: web.example.com\n  mapping:\n"
             "    - port: 8080/http  # <--\n"),
         "loadBalancer.mapping[0]", "Invalid loadbalancer configuration. Atleast one contextPath "
         "is required for port:8080/http.", fix="contextPaths"),
    case("loadBalancer-mapping-port-not-exposed",
         web(LB_PORTS + "loadBalancer:\n  provider: nginx\n  host: web.example.com\n  mapping:\n"
             "    - port: 9090/http  # <--\n      contextPaths: [/]\n"),
         "loadBalancer.mapping[0].port", "Ports declared in the load balancer should match with "
         "the ports mentioned in the hspec. Mismatched port : 9090/tcp", fix="ports"),
    case("loadBalancer-with-external-false",
         web("external: false  # <--\nports:\n  - port: 8080/http\nloadBalancer:\n"
             "  provider: nginx\n  host: web.example.com\n  mapping:\n"
             "    - port: 8080/http\n      contextPaths: [/]\n"),
         "external", "LoadBalancer configuration requires external field to be set as true in "
         "hspec.", fix="external: true"),
    case("loadBalancer-without-external",
         web("ports:\n  - port: 8080/http\nloadBalancer:  # <--\n  provider: nginx\n"
             "  host: web.example.com\n  mapping:\n    - port: 8080/http\n      contextPaths: [/]\n"),
         "loadBalancer", "LoadBalancer configuration requires external field to be set as true "
         "in hspec.", fix="external: true"),
    case("istio-loadBalancer-without-labels",
         web(LB_PORTS + "loadBalancer:  # <--\n  provider: istio\n  host: web.example.com\n"
             "  mapping:\n    - port: 8080/http\n      contextPaths: [/]\n"),
         "loadBalancer", "LoadBalancer gateway label is required for istio.", fix="labels:"),
    case("agent-attaches-undeclared-volume",
         web(dedent("""\
             agents:
               - name: logs
                 image: busybox:1.36
                 volumes:
                   - attach: data  # <--
                     mountPath: /data
             """)),
         "agents[0].volumes[0].attach", "attaches volume 'data', which the service does not "
         "declare", fix="volumes"),
    case("duplicate-volume-name",
         web("volumes:\n  - name: data\n    path: /a\n  - name: data  # <--\n    path: /b\n"),
         "volumes[1].name", "volume name 'data' is used twice (also volumes[0])",
         fix="Give each volume its own name."),
    case("duplicate-agent-name",
         web("agents:\n  - name: logs\n    image: busybox:1.36\n"
             "  - name: logs  # <--\n    image: busybox:1.36\n"),
         "agents[1].name", "sidecar name 'logs' is used twice (also agents[0])",
         fix="Give each sidecar its own name."),
    case("agent-named-like-the-service",
         web("agents:\n  - name: web  # <--\n    image: busybox:1.36\n"),
         "agents[0].name", "sidecar 'web' has the service's own name: the pod would have two "
         "containers of that name", fix="Give the sidecar another name."),
    case("replicas-beyond-int32", web("replicas: 99999999999999999999  # <--\n"), "replicas",
         "99999999999999999999 replicas is more than Kubernetes accepts (2147483647)",
         fix="replicas: 3"),
    case("replicas-int32-plus-one", web("replicas: 2147483648  # <--\n"), "replicas",
         "2147483648 replicas is more than Kubernetes accepts (2147483647)", fix="replicas: 3"),
    case("replicas-max-beyond-int32",
         web("replicas:\n  min: 1\n  max: 99999999999  # <--\n  cpuThreshold: 70%\n"),
         "replicas.max", "99999999999 replicas is more than Kubernetes accepts (2147483647)",
         fix="replicas: 3"),
    case("replicas-min-beyond-int32",
         web("replicas:\n  min: 99999999999  # <--\n  max: 3\n  cpuThreshold: 70%\n"),
         "replicas.min", "99999999999 replicas is more than Kubernetes accepts (2147483647)",
         fix="replicas: 3"),
]

# --------------------------------------------------------------------------- referenced files

ARTIFACT = "    artifacts:\n      - name: site\n        source: {}  # <--\n        destination: /www/\n"
SNIPPET = "k8sSnippets:\n  - snippets/patch.yaml  # <--\n"
# Build files: the spec stage only names them (manifests never need them, as in HyScale's
# generate command); the dockerfile stage fails on them with this located message.
BUILD_FILE_CASES = [
    case("artifact-missing", built(ARTIFACT.format("site/missing.html")),
         "image.buildSpec.artifacts[0].source", "artifact site/missing.html not found",
         fix="existing file"),
    case("artifact-is-a-directory", built(ARTIFACT.format("site")),
         "image.buildSpec.artifacts[0].source", "artifact site is a directory",
         files={"site/index.html": "<h1>hi</h1>\n"}, fix="existing file"),
    case("configCommandsScript-missing",
         built("    configCommandsScript: scripts/configure.sh  # <--\n"),
         "image.buildSpec.configCommandsScript", "scripts/configure.sh not found",
         fix="existing file"),
    case("runCommandsScript-missing", built("    runCommandsScript: run.sh  # <--\n"),
         "image.buildSpec.runCommandsScript", "run.sh not found"),
    # image.dockerfile: the build context folder and the Dockerfile.
    case("dockerfile-context-missing", web("  dockerfile:\n    path: app  # <--\n"),
         "image.dockerfile.path", "build context app is not a folder (looked for ",
         fix="Give the build context folder"),
    case("dockerfile-context-is-a-file", web("  dockerfile:\n    path: app  # <--\n"),
         "image.dockerfile.path", "build context app is not a folder (looked for ",
         fix="Give the build context folder", files={"app": "FROM busybox:1.36\n"}),
    case("dockerfile-missing", web("  dockerfile: {}  # <--\n"), "image.dockerfile",
         "Dockerfile Dockerfile not found (looked for ", fix="existing file"),
    case("dockerfilePath-file-missing",
         web("  dockerfile:\n    dockerfilePath: docker/Dockerfile.prod  # <--\n"),
         "image.dockerfile.dockerfilePath", "Dockerfile docker/Dockerfile.prod not found",
         fix="existing file", files={"docker/Dockerfile": "FROM busybox:1.36\n"}),
    case("dockerfilePath-folder-without-a-Dockerfile",
         web("  dockerfile:\n    dockerfilePath: docker  # <--\n"),
         "image.dockerfile.dockerfilePath", "Dockerfile docker not found (looked for ",
         fix="existing file", files={"docker/Dockerfile.prod": "FROM busybox:1.36\n"}),
    case("dockerfile-missing-in-its-context", web("  dockerfile:  # <--\n    path: app\n"),
         "image.dockerfile", "Dockerfile Dockerfile not found (looked for ", fix="build context",
         files={"app/index.html": "<h1>hi</h1>\n"}),
    case("dockerfilePath-missing-in-its-context",
         web("  dockerfile:\n    path: app\n    dockerfilePath: docker  # <--\n"),
         "image.dockerfile.dockerfilePath", "Dockerfile docker not found (looked for ",
         fix="build context", files={"app/index.html": "<h1>hi</h1>\n"}),
]

FILE_CASES = [
    case("file-prop-missing", web("props:\n  motd: file(config/motd.txt)  # <--\n"),
         "props.motd", "file() prop config/motd.txt not found", fix="existing file"),
    case("file-prop-is-a-directory", web("props:\n  motd: file(config)  # <--\n"),
         "props.motd", "file() prop config is a directory", files={"config/motd.txt": "hi\n"}),
    case("agent-file-prop-missing",
         web("agents:\n  - name: logs\n    image: busybox:1.36\n    props:\n"
             "      conf: file(fluent.conf)  # <--\n"),
         "agents[0].props.conf", "file() prop fluent.conf not found"),
    case("k8s-snippet-missing", web(SNIPPET), "k8sSnippets[0]",
         "k8s snippet snippets/patch.yaml not found", fix="existing file"),
    case("k8s-snippet-without-kind", web(SNIPPET), "k8sSnippets[0]",
         "k8s snippet snippets/patch.yaml has no top-level 'kind'", fix="kind: Deployment",
         files={"snippets/patch.yaml": "spec:\n  replicas: 2\n"}),
    case("k8s-snippet-a-list", web(SNIPPET), "k8sSnippets[0]", "has no top-level 'kind'",
         files={"snippets/patch.yaml": "- kind: Deployment\n"}),
    case("k8s-snippet-empty", web(SNIPPET), "k8sSnippets[0]",
         "k8s snippet snippets/patch.yaml is empty", files={"snippets/patch.yaml": ""}),
    case("k8s-snippet-invalid-yaml", web(SNIPPET), "k8sSnippets[0]",
         "Failed to read K8s Snippets from file snippets/patch.yaml, line ", fix="valid YAML",
         files={"snippets/patch.yaml": "kind: Deployment\nspec: [unclosed\n"}),
]

# --------------------------------------------------------------------------- profiles

PORTS = WEB + "ports:\n  - port: 8080\n"
PROFILE_CASES = [
    profiled("profile-without-environment", "overrides: web  # <--\nreplicas: 2\n",
             "environment", "profile validation failed: 'environment' is required here",
             fix="Add 'environment'. Use 2 to 30 letters, digits or '-', e.g. dev"),
    profiled("profile-without-overrides", "environment: dev  # <--\nreplicas: 2\n",
             "overrides", "profile validation failed: 'overrides' is required here",
             fix="Add 'overrides'. Use lower-case letters"),
    profiled("profile-overrides-another-service",
             "environment: dev\noverrides: api  # <--\nreplicas: 2\n",
             "overrides", "profile overrides service 'api', but web.hspec is service 'web'",
             fix="overrides: web"),
    profiled("profile-file-name-not-environment-prefixed",
             "environment: dev  # <--\noverrides: web\nreplicas: 2\n", "environment",
             "Profile name mismatched with environment in staging-web.hprof",
             name="staging-web.hprof", fix="dev-web.hprof"),
    profiled("profile-bad-replicas", "environment: dev\noverrides: web\nreplicas: lots  # <--\n",
             "replicas", "profile validation failed: \"lots\" is given where a whole number or "
             "a mapping of fields is expected", fix="replicas: 2"),
    profiled("profile-bad-nested-cpuThreshold",
             "environment: dev\noverrides: web\nreplicas:\n  min: 1\n  max: 3\n"
             "  cpuThreshold: 70  # <--\n",
             "replicas.cpuThreshold", "profile validation failed: 70 is given where text is "
             "expected", fix="70%"),
    profiled("profile-bad-environment-name", "environment: dev_1  # <--\noverrides: web\n",
             "environment", '"dev_1" is not in the expected form', fix="prod-eu"),
    profiled("profile-tab-indentation",
             "environment: dev\noverrides: web\nprops:\n\tLEVEL: debug  # <--\n",
             "", "incorrect YAML format", fix="spaces"),
    profiled("profile-empty", "", "", "profile file is empty", line=1,
             fix="'environment: <profile>' and 'overrides: <service>'"),
    profiled("profile-list-at-top-level", "- environment: dev  # <--\n", "",
             "profile must be a YAML mapping of fields, found list",
             fix="'environment: <profile>' and 'overrides: <service>'"),
    profiled("profile-allowTraffic-rule-without-ports",
             "environment: dev\noverrides: web\nallowTraffic:\n  - from: [frontend]  # <--\n",
             "allowTraffic[0]", "Missing required field 'ports' in allowTraffic.", spec=PORTS),
    profiled("profile-file-prop-missing",
             "environment: dev\noverrides: web\nprops:\n  motd: file(motd.txt)  # <--\n",
             "props.motd", "file() prop motd.txt not found", fix="existing file"),
    profiled("profile-gives-a-missing-build-context",
             "environment: dev\noverrides: web\nimage:\n  dockerfile:\n    path: app  # <--\n",
             "image.dockerfile.path", "build context app is not a folder",
             fix="Give the build context folder"),
    profiled("profile-adds-agent-named-like-the-service",
             "environment: dev\noverrides: web\nagents:\n  - name: web  # <--\n"
             "    image: busybox:1.36\n",
             "agents[0].name", "sidecar 'web' has the service's own name",
             fix="Give the sidecar another name."),
    profiled("profile-replicas-beyond-int32",
             "environment: dev\noverrides: web\nreplicas: 99999999999  # <--\n",
             "replicas", "99999999999 replicas is more than Kubernetes accepts", fix="replicas: 3"),
    profiled("profile-duplicate-agent-name-merged-away",
             "environment: dev\noverrides: web\nagents:\n  - name: logs\n    image: busybox:1.37\n"
             "  - name: logs  # <--\n    image: busybox:1.38\n",
             "agents[1].name", "sidecar name 'logs' is used twice", fix="its own name",
             spec=web("agents:\n  - name: logs\n    image: busybox:1.36\n")),
    # The 'not both' rule is on image, so like dockerfile-and-buildSpec the field is image: the
    # profile's image line, as the profile spells out image and wins the tie with the spec.
    profiled("profile-adds-dockerfile-to-a-buildSpec",
             "environment: dev\noverrides: web\nimage:  # <--\n  dockerfile: {}\n",
             "image", "service spec with profile applied validation failed: Expected either "
             "Dockerfile or BuildSpec. Cannot accept both", spec=BUILT, fix="Keep only one"),
    profiled("profile-and-spec-both-give-loadBalancer-mapping",
             "environment: dev\noverrides: web\nloadBalancer:\n  mapping:  # <--\n"
             "    - port: 8080/http\n      contextPaths: [/v2]\n",
             "loadBalancer.mapping", "Merge key not found while merging mapping",
             spec=web(LB_PORTS + "loadBalancer:\n  provider: nginx\n  host: web.example.com\n"
                      "  mapping:\n    - port: 8080/http\n      contextPaths: [/]\n"),
             fix="Give 'mapping' in the spec or in the profile, not in both."),
    profiled("spec-file-prop-missing-while-profile-sets-other-props",
             "environment: dev\noverrides: web\nprops:\n  LEVEL: debug\n",
             "props.motd", "file() prop missing.txt not found", where="web.hspec",
             spec=web("props:\n  motd: file(missing.txt)  # <--\n"), fix="existing file"),
    profiled("spec-agent-port-clash-while-profile-adds-an-agent",
             "environment: dev\noverrides: web\nagents:\n  - name: metrics\n"
             "    image: busybox:1.36\n",
             "agents[0].ports[0].port", "Duplicate ports found : 8080/tcp", where="web.hspec",
             spec=web("ports:\n  - port: 8080\nagents:\n  - name: logs\n    image: busybox:1.36\n"
                      "    ports:\n      - port: 8080  # <--\n"),
             fix="Give the sidecar a port"),
]

CASES = YAML_CASES + SCHEMA_CASES + RULE_CASES + FILE_CASES + BUILD_FILE_CASES + PROFILE_CASES
# The rows whose error is the dockerfile stage's, not the spec stage's.
BUILD_CASES = BUILD_FILE_CASES + [row for row in PROFILE_CASES
                                  if row.id == "profile-gives-a-missing-build-context"]


def _write(folder: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8", "surrogateescape"))


def _marked_line(text: str) -> int:
    marked = [number for number, line in enumerate(text.splitlines(), 1) if MARK in line]
    assert len(marked) == 1, f"mark exactly one line with {MARK!r}"
    return marked[0]


@pytest.mark.parametrize("bad", CASES)
def test_bad_input_names_file_line_field_cause_and_fix(bad: Case, tmp_path: Path) -> None:
    _write(tmp_path, bad.files)
    profile = tmp_path / bad.profile if bad.profile else None

    with pytest.raises(SpecError) as caught:
        records = make_records(tmp_path / "web.hspec", profile, "shop")
        check_present(records.build)  # what the dockerfile stage checks first

    error = caught.value
    line = bad.line if bad.line is not None else _marked_line(bad.files[bad.where])
    assert Path(error.location.file).resolve() == (tmp_path / bad.where).resolve()
    assert (error.location.line, error.location.field) == (line, bad.field), str(error)
    assert bad.cause in error.cause, str(error)
    assert error.fix.strip() and error.fix != GENERIC_FIX, str(error)
    assert bad.fix in error.fix, str(error)
    where = f"{error.location.file}:{line}" + (f": {bad.field}" if bad.field else "")
    assert str(error) == f"{where}: {error.cause}\n  fix: {error.fix}"


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("bad", BUILD_CASES)
def test_the_spec_stage_needs_no_build_file(bad: Case, tmp_path: Path) -> None:
    # HyScale's generate never looks at artifacts, scripts or a Dockerfile: manifests of a
    # service render where its build outputs are not (a CI job that only renders, a reviewer).
    _write(tmp_path, bad.files)
    profile = tmp_path / bad.profile if bad.profile else None

    records = make_records(tmp_path / "web.hspec", profile, "shop")

    entry = next(e for e in records.build["buildFiles"] if e["location"]["field"] == bad.field)
    assert Path(entry["location"]["file"]).resolve() == (tmp_path / bad.where).resolve()


def _snippet_yaml_error(tmp_path: Path) -> str:
    _write(tmp_path, {"web.hspec": web(SNIPPET),
                      "snippets/patch.yaml": "kind: Deployment\nspec: [unclosed\n"})
    with pytest.raises(SpecError) as caught:
        make_records(tmp_path / "web.hspec", None, "shop")
    return caught.value.cause


def test_snippet_yaml_error_names_the_snippet_line(tmp_path: Path) -> None:
    # The k8s-snippet-invalid-yaml row checks the hspec side; this one, the snippet side.
    cause = _snippet_yaml_error(tmp_path)
    assert cause.startswith("Failed to read K8s Snippets from file snippets/patch.yaml, line "), cause
    assert "flow sequence that is never closed" in cause, cause


def test_snippet_unclosed_bracket_names_the_line_it_opens(tmp_path: Path) -> None:
    cause = _snippet_yaml_error(tmp_path)
    assert ", line 2: " in cause, cause


def test_yaml_merge_key_override_is_not_a_duplicate(tmp_path: Path) -> None:
    _write(tmp_path, {"web.hspec": web(dedent("""\
        x-defaults: &volume
          size: 1Gi
        volumes:
          - <<: *volume
            name: data
            path: /data
            size: 2Gi
        """))})
    records = make_records(tmp_path / "web.hspec", None, "shop")
    assert records.deploy["spec"]["volumes"][0]["size"] == "2Gi"


@pytest.mark.parametrize("bad", [
    pytest.param(next(p for p in CASES if p.id == id).values[0], id=id)
    for id in ("duplicate-volume-name", "duplicate-agent-name")])
def test_duplicate_names_are_rejected(bad: Case, tmp_path: Path) -> None:
    # The rows of the same id are strict xfails for their line; this pins the rest meanwhile.
    _write(tmp_path, bad.files)
    with pytest.raises(SpecError) as caught:
        make_records(tmp_path / "web.hspec", None, "shop")
    error = caught.value
    assert Path(error.location.file).resolve() == (tmp_path / bad.where).resolve()
    assert error.location.field == bad.field, str(error)
    assert bad.cause in error.cause, str(error)
    assert bad.fix in error.fix and error.fix != GENERIC_FIX, str(error)


@pytest.mark.parametrize(("dockerfile", "files"), [
    pytest.param("{}", {"Dockerfile": "FROM busybox:1.36\n"}, id="default-context"),
    pytest.param("{path: app}", {"app/Dockerfile": "FROM busybox:1.36\n"}, id="context-folder"),
    pytest.param("{path: app, dockerfilePath: docker/Dockerfile.prod}",
                 {"app/docker/Dockerfile.prod": "FROM busybox:1.36\n"},
                 id="dockerfilePath-names-the-file"),
    pytest.param("{path: app, dockerfilePath: docker}",
                 {"app/docker/Dockerfile": "FROM busybox:1.36\n"},
                 id="dockerfilePath-names-a-folder-holding-Dockerfile"),
])
def test_dockerfile_that_exists_is_accepted(dockerfile: str, files: dict[str, str],
                                            tmp_path: Path) -> None:
    _write(tmp_path, {"web.hspec": web(f"  dockerfile: {dockerfile}\n"), **files})
    records = make_records(tmp_path / "web.hspec", None, "shop")
    written = yaml.safe_load(f"d: {dockerfile}")["d"]
    assert records.build["image"]["dockerfile"] == written


def test_replicas_at_the_int32_limit_are_accepted(tmp_path: Path) -> None:
    _write(tmp_path, {"web.hspec": web("replicas: 2147483647\n")})
    records = make_records(tmp_path / "web.hspec", None, "shop")
    assert records.deploy["spec"]["replicas"] == 2147483647


# --------------------------------------------------------------------------- -P lookup


PROFILE_TEXT = "environment: dev\noverrides: web\n"


@pytest.mark.parametrize(("files", "cause"), [
    pytest.param({}, "Profile not found for services web", id="profile-not-found"),
    pytest.param({"dev-web2.hprof": PROFILE_TEXT}, "Profile not found for services web",
                 id="profile-of-web2-does-not-claim-web"),
    pytest.param({"dev-web.hprof": PROFILE_TEXT, "profiles/dev-web.hprof": PROFILE_TEXT},
                 "Service web cannot have multiple profiles", id="profile-in-folder-and-profiles"),
])
def test_profile_lookup_errors(files: dict[str, str], cause: str, tmp_path: Path) -> None:
    _write(tmp_path, {"web.hspec": WEB, **files})
    with pytest.raises(HyscaleError) as caught:
        find_profile(tmp_path, "dev", "web")
    message = str(caught.value)
    assert message.startswith(cause), message
    assert "dev-web.hprof" in message
    assert "\n  fix: " in message


# --------------------------------------------------------------------------- names (§1.3)

APP_RULE = ("It must consist of lower case alphanumeric characters or '-', its length should be "
            "between 2 and 30.(regex used for validation is '([a-z0-9-]){2,30}')")
SERVICE_RULE = ("A service name must consist of lower case alphanumeric characters or '-', start "
                "with an alphabetic character, and end with an alphanumeric character (e.g. "
                "'my-name',  or 'abc-123', regex used for validation is "
                "'[a-z]([-a-z0-9]*[a-z0-9])?')")
NAME_CASES = [
    pytest.param(names.check_app, "Bad_Name", f'Application name "Bad_Name" is invalid. {APP_RULE}',
                 id="app-Bad_Name"),
    pytest.param(names.check_app, "a", f'Application name "a" is invalid. {APP_RULE}',
                 id="app-too-short"),
    pytest.param(names.check_app, "a" * 31, f'Application name "{"a" * 31}" is invalid. {APP_RULE}',
                 id="app-too-long"),
    pytest.param(names.check_namespace, "Prod_NS", f'Namespace "Prod_NS" is invalid. {APP_RULE}',
                 id="namespace-Prod_NS"),
    pytest.param(names.check_service, "Web_1", f'Service name "Web_1" is invalid. {SERVICE_RULE}',
                 id="service-Web_1"),
    pytest.param(names.check_profile, "dev_1",
                 "Profile name \"dev_1\" is invalid. It must consist of alphanumeric characters or "
                 "'-', its length should be between 2 and 30.(regex used for validation is "
                 "'([-a-zA-Z0-9]){2,30}')", id="profile-dev_1"),
]


@pytest.mark.parametrize(("check", "value", "message"), NAME_CASES)
def test_bad_names_get_hyscales_messages(check: Any, value: str, message: str) -> None:
    with pytest.raises(names.InvalidNameError) as caught:
        check(value)
    assert str(caught.value) == message


# --------------------------------------------------------------------------- through doit


def _doit(tmp_path: Path, *variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYSCALE_")}
    env.update(HYSCALE_HOME=str(tmp_path / "home"), DOCKER_CONFIG=str(tmp_path / "docker"))
    return subprocess.run([sys.executable, "-m", "doit", f"apps={tmp_path / 'apps'}", *variables],
                          cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120,
                          check=False)


def _service_files(tmp_path: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under the service's state/ and generated-files/: content and mtime."""
    root = tmp_path / "home" / "apps" / "shop" / "web"
    return {str(path.relative_to(root)): (path.read_bytes(), path.stat().st_mtime_ns)
            for folder in ("state", "generated-files") for path in sorted((root / folder).rglob("*"))
            if path.is_file()}


GOOD = WEB + '  tag: "1.0"\n  buildSpec:\n    stackImage: busybox:1.36\n    runCommands: exec ' \
    'httpd -f -p 8080\nports:\n  - port: 8080/http\n'


@pytest.mark.parametrize(("files", "variables", "located"), [
    pytest.param({"web.hspec": web("replicas: two\n")}, [], "web.hspec:4: replicas: ",
                 id="schema-error"),
    pytest.param({"web.hspec": "name: web\nimage:\n\tname: shop/web\n"}, [], "web.hspec:3: ",
                 id="yaml-error"),
    pytest.param({"web.hspec": WEB, "dev-web.hprof": "environment: dev\noverrides: web\n"
                  "replicas: lots\n"}, ["profile=dev"], "dev-web.hprof:3: replicas: ",
                 id="bad-profile"),
    pytest.param({"web.hspec": WEB}, ["profile=prod"], "Profile not found for services web",
                 id="profile-not-found"),
])
def test_doit_reports_bad_spec_exits_1_and_writes_nothing(
        files: dict[str, str], variables: list[str], located: str, tmp_path: Path) -> None:
    _write(tmp_path / "apps" / "shop", files)

    result = _doit(tmp_path, "app=shop", *variables)

    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("[ERROR]  ")]
    assert len(errors) == 1 and located in errors[0], result.stderr
    assert "\n  fix: " in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert _service_files(tmp_path) == {}


@pytest.mark.parametrize(("variables", "message"), [
    pytest.param(["app=Bad_Name"], f'Application name "Bad_Name" is invalid. {APP_RULE}',
                 id="app-Bad_Name"),
    pytest.param(["app=shop", "namespace=Prod_NS"], f'Namespace "Prod_NS" is invalid. {APP_RULE}',
                 id="namespace-Prod_NS"),
])
def test_doit_rejects_bad_names_with_exit_3(variables: list[str], message: str,
                                            tmp_path: Path) -> None:
    _write(tmp_path / "apps" / "shop", {"web.hspec": GOOD})

    result = _doit(tmp_path, *variables)

    assert result.returncode == 3, result.stdout + result.stderr
    assert f"ERROR: {message}\n" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "home" / "apps").exists()


def test_doit_unknown_app_lists_the_apps(tmp_path: Path) -> None:
    for app in ("shop", "blog"):
        _write(tmp_path / "apps" / app, {"web.hspec": GOOD})

    result = _doit(tmp_path, "app=nope")

    assert result.returncode == 3, result.stdout + result.stderr
    assert "ERROR: App 'nope' not found" in result.stderr
    assert "use one of: blog, shop" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "home" / "apps" / "nope").exists()


def test_doit_keeps_the_last_good_render_when_the_spec_turns_bad(tmp_path: Path) -> None:
    spec = tmp_path / "apps" / "shop" / "web.hspec"
    _write(spec.parent, {"web.hspec": GOOD})
    first = _doit(tmp_path, "app=shop")
    assert first.returncode == 0, first.stdout + first.stderr
    rendered = _service_files(tmp_path)
    assert {"generated-files/dockerfiles/Dockerfile", "generated-files/manifests/deployment.yaml",
            "state/deploy-spec.json"} <= rendered.keys()

    spec.write_text(GOOD + "replicas: two\n")
    second = _doit(tmp_path, "app=shop")

    assert second.returncode == 1, second.stdout + second.stderr
    assert "web.hspec:10: replicas: " in second.stderr
    assert "Traceback" not in second.stdout + second.stderr
    assert _service_files(tmp_path) == rendered
