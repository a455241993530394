"""The project's own JSON Schemas for service specs (.hspec) and profiles (.hprof).

Both schema files carry the same ``$defs`` block, so each file is self-contained (no
cross-file ``$ref``, no ``referencing.Registry``); ``test_both_files_share_the_same_defs``
keeps them in step.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

SERVICE = "service-spec.schema.json"
PROFILE = "profile-spec.schema.json"
CORPUS = Path("/work/shared/corpus")

# Keywords that can make a value fail: a subschema using one needs an x-fix hint.
ASSERTIONS = {
    "type", "pattern", "enum", "const", "minimum", "maximum", "minLength", "maxLength",
    "minItems", "maxItems", "required", "not",
}


def _load(name: str) -> dict[str, Any]:
    """A schema file, read as the tool reads it: package data of hyscale_tasks.spec."""
    text = resources.files("hyscale_tasks.spec").joinpath("schemas", name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@pytest.fixture(scope="module")
def service() -> Draft202012Validator:
    return Draft202012Validator(_load(SERVICE))


@pytest.fixture(scope="module")
def profile() -> Draft202012Validator:
    return Draft202012Validator(_load(PROFILE))


def _errors(validator: Draft202012Validator, document: Any) -> list[ValidationError]:
    return list(validator.iter_errors(document))


def _describe(errors: list[ValidationError]) -> str:
    return "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


# --------------------------------------------------------------------------- the schemas


@pytest.mark.parametrize("name", [SERVICE, PROFILE])
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = _load(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_both_files_share_the_same_defs() -> None:
    assert _load(SERVICE)["$defs"] == _load(PROFILE)["$defs"]


def _subschemas(schema: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every subschema that can produce an error (the inside of ``not`` cannot)."""
    if not isinstance(schema, dict):
        return
    yield where, schema
    for key in ("properties", "$defs"):
        for name, sub in schema.get(key, {}).items():
            yield from _subschemas(sub, f"{where}/{key}/{name}")
    for key in ("items", "additionalProperties", "propertyNames"):
        if key in schema:
            yield from _subschemas(schema[key], f"{where}/{key}")
    for index, sub in enumerate(schema.get("allOf", [])):
        yield from _subschemas(sub, f"{where}/allOf/{index}")


@pytest.mark.parametrize("name", [SERVICE, PROFILE])
def test_every_subschema_has_a_description_and_a_fix(name: str) -> None:
    undocumented, unfixable = [], []
    for where, sub in _subschemas(_load(name), "#"):
        if not str(sub.get("description", "")).strip():
            undocumented.append(where)
        if ASSERTIONS & sub.keys() and not str(sub.get("x-fix", "")).strip():
            unfixable.append(where)
    assert not undocumented, f"no description: {undocumented}"
    assert not unfixable, f"no x-fix: {unfixable}"


@pytest.mark.parametrize("name", [SERVICE, PROFILE])
def test_patterns_are_anchored_and_every_mapping_refuses_unknown_fields(name: str) -> None:
    # Like kubectl --validate=strict: a misspelled field is an error, not silently ignored.
    for where, sub in _subschemas(_load(name), "#"):
        if "pattern" in sub:
            assert sub["pattern"].startswith("^") and sub["pattern"].endswith("$"), where
        if "properties" in sub:
            assert sub.get("additionalProperties") is False, where
    assert list(_load(name)["patternProperties"]) == ["^x-"]  # room for YAML anchors


def test_dockerfile_and_buildspec_exclusion_is_the_plain_not_required() -> None:
    # hyscale_tasks/spec/schema.py recognises the error by this exact validator_value.
    for name in ("image", "imageOverride"):
        rule = _load(SERVICE)["$defs"][name]["allOf"][0]
        assert rule["not"] == {"required": ["dockerfile", "buildSpec"]}


# --------------------------------------------------------------------------- valid specs

WEB_SERVICE = """
hspecVersion: "0.6.5"
name: hrms-frontend
x-type: service                    # x- fields are ignored (unknown ones are errors)
image:
  registry: registry.hub.docker.com
  name: myorg/hrms-frontend
  tag: "1.0.2"
  buildSpec:
    stackImage: tomcat:8.5.0-jre8
    artifacts:
      - name: hrms
        source: target/hrms.war
        destination: /usr/local/tomcat/webapps/
    configCommands: |-
      mkdir -p /usr/local/tomcat/logs
      echo configured
    configCommandsScript: scripts/configure.sh
    runCommands: catalina.sh run
    runCommandsScript: scripts/run.sh
startCommand: "catalina.sh,run"
replicas: 2
memory: 512Mi-1Gi
cpu: 250m-1
external: true
ports:
  - port: 8080/http
    healthCheck:
      httpPath: /hrms
  - port: 8443/HTTPS
props:
  MAX_NO_OF_CONNECTIONS: 20
  DEBUG: false
  RATIO: 0.75
  REGION: hyderabad
  MYSQL_HOST: endpoint(hrdatabase)
  server.xml: file(./config/tomcat/server.xml)
  GREETING: string(hello world)
propsVolumePath: /usr/local/config
secrets:
  KEYSTORE_PASSWORD: s3cret
  PIN: 1234
  ENABLED: true
secretsVolumePath: /usr/local/secrets
k8sSnippets:
  - ./snippets/securitycontext.yaml
loadBalancer:
  provider: nginx
  className: nginx-ingress
  host: hrms.example.com
  sticky: true
  tlsSecret: hrms-tls
  mapping:
    - port: 8080/http
      contextPaths:
        - /hrms
        - /login
  headers:
    X-Env: production
    X-Retries: 3
"""

STATEFUL_STORE = """
name: hrdatabase
image:
  name: myorg/hrdatabase
  tag: 5.7                         # a YAML number is accepted
  dockerfile:
    path: ./db
    dockerfilePath: docker
    target: release
    args:
      MYSQL_VERSION: "5.7"
      STRICT: true
      SHARDS: 4
replicas: 1
memory: 2048Mi
cpu: "1"
ports:
  - port: 3306/tcp
    healthCheck: {}                # TCP check
  - port: 33060
    healthCheck:                   # null: no check
  - port: 5353/UDP
volumes:
  - name: mysql-data-dir
    path: /var/lib/mysql
    size: 10Gi
    storageClass: standard
  - name: backups
    path: /backups
    size: 1g                       # the form HyScale's documentation shows
    readOnly: true
  - name: scratch
    path: /tmp/scratch/
    size: 500Mi
  - name: defaults
    path: /defaults
secrets:
  - MYSQL_ROOT_PASSWORD
  - mysql.user
secretsVolumePath: /etc/mysql/secrets
"""

AUTOSCALED = """
name: frontend
image:
  name: library/nginx
  tag: 1.25
replicas:
  min: 1
  max: 4
  cpuThreshold: 70%
cpu: "0.5"
memory: 256Mi
ports:
  - port: 80
"""

AUTOSCALED_NO_MIN = """
name: api-2
image: {name: myorg/api, tag: latest}
replicas: {max: 10, cpuThreshold: 85%}
cpu: 100m-1500m
memory: .5Gi-1.5Gi
"""

AGENTS = """
name: redis
image:
  name: library/redis:4
ports:
  - port: 6379
    healthCheck: {}
volumes:
  - name: redis-logs
    path: /var/log/redis
agents:
  - name: redis-exporter
    image: registry.hub.docker.com/oliver006/redis_exporter:latest
    ports:
      - port: 9121/tcp
        healthCheck:
          httpPath: /metrics
  - name: fluentd
    image: quay.io/fluentd_elasticsearch/fluentd
    props:
      FLUENTD_ARGS: --no-supervisor -vv
      system.input.conf: file(system.input.conf)
    propsVolumePath: /etc/fluent/config.d
    secrets:
      - ES_PASSWORD
    secretsVolumePath: /etc/fluent/secrets
    volumes:
      - attach: redis-logs
        mountPath: /mnt/log
        readOnly: true
  - name: vault-agent
    image: hashicorp/vault:1.15
    secrets:
      VAULT_TOKEN: s.abc
"""

ISTIO = """
name: productpage
image:
  registry: registry.hub.docker.com
  name: myorg/bookinfo-productpage
  tag: 1.16.2
external: true
ports:
  - port: 9080/http
loadBalancer:
  provider: ISTIO                  # the provider is matched case-insensitively
  host: "*.bookinfo.com"
  sticky: false
  tlsSecret: bookinfo-tls-secret
  mapping:
    - port: 9080
      contextPaths: [/productpage, /login, /static]
  headers:
    hello: there
  labels:
    istio: ingressgateway
"""

TRAEFIK = """
name: details
image: {name: myorg/details}
external: true
ports: [{port: 9080/http}]
loadBalancer:
  provider: Traefik
  host: details.example.com
  mapping:
    - port: 9080/http
      contextPaths: [/details]
"""

ALLOW_TRAFFIC = """
name: ratings
image:
  name: myorg/bookinfo-ratings
  tag: v1_2-rc.3
ports:
  - port: 9080/http
  - port: 5050/udp
allowTraffic:
  - ports: [9080, 5050/udp]
    from: [productpage, reviews]
  - ports: []                      # every port
    from: [admin]
  - ports: [9080/tcp]
    from: []                       # every source
  - ports: [9080]                  # no 'from': the rule is dropped
"""

DENY_ALL = """
name: vault
image: {name: hashicorp/vault, tag: "1.15.2"}
replicas: 0
allowTraffic: []
"""

MINIMAL = """
name: web
image:
  name: library/nginx
"""

VALID_SPECS = {
    "web-service": WEB_SERVICE,
    "stateful-store": STATEFUL_STORE,
    "autoscaled": AUTOSCALED,
    "autoscaled-no-min": AUTOSCALED_NO_MIN,
    "agents": AGENTS,
    "loadbalancer-istio": ISTIO,
    "loadbalancer-traefik": TRAEFIK,
    "allow-traffic": ALLOW_TRAFFIC,
    "deny-all": DENY_ALL,
    "minimal": MINIMAL,
}

FULL_PROFILE = """
environment: prod-eu
overrides: hrms-frontend
replicas:
  min: 2
  max: 6
  cpuThreshold: 60%
memory: 1Gi-2Gi
cpu: 500m-2
image:
  tag: "1.1"                       # a profile need not repeat image.name
  buildSpec:
    configCommands: echo prod      # nor buildSpec.stackImage
volumes:
  - name: tomcat-logs
    size: 4Gi                      # a profile need not repeat the path
  - name: data
    storageClass: fast-ssd
props:
  max_threads: 20
  server_xml: file(./config/tomcat/server.xml)
secrets:
  MYSQL_ROOT_PASSWORD: pramati
k8sSnippets:
  - ./snippets/nodeportpatch.yaml
allowTraffic:
  - ports: [8080]
    from: [gateway]
agents:
  - name: fluentd                  # nor an agent's image
    props:
      LOG_LEVEL: debug
ports:
  - port: 8080/http
    healthCheck:
      httpPath: /ready
external: true
loadBalancer:
  host: hrms.prod.example.com
"""

VALID_PROFILES = {
    "full": FULL_PROFILE,
    "minimal": "environment: dev\noverrides: web\n",
    "replicas-int": "environment: Stage-2\noverrides: web\nreplicas: 3\nsecrets: [A, B]\n",
}


@pytest.mark.parametrize("text", VALID_SPECS.values(), ids=VALID_SPECS.keys())
def test_valid_service_spec(service: Draft202012Validator, text: str) -> None:
    errors = _errors(service, yaml.safe_load(text))
    assert not errors, _describe(errors)


@pytest.mark.parametrize("text", VALID_PROFILES.values(), ids=VALID_PROFILES.keys())
def test_valid_profile(profile: Draft202012Validator, text: str) -> None:
    errors = _errors(profile, yaml.safe_load(text))
    assert not errors, _describe(errors)


def _keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, sub in value.items():
            yield str(key)
            yield from _keys(sub)
    elif isinstance(value, list):
        for sub in value:
            yield from _keys(sub)


def _declared_properties(name: str) -> set[str]:
    parts = [where.split("/") for where, _ in _subschemas(_load(name), "#")]
    return {part[-1] for part in parts if len(part) > 2 and part[-2] == "properties"}


def test_valid_examples_use_every_declared_field() -> None:
    used = {key for text in VALID_SPECS.values() for key in _keys(yaml.safe_load(text))}
    assert not _declared_properties(SERVICE) - used
    used |= {key for text in VALID_PROFILES.values() for key in _keys(yaml.safe_load(text))}
    assert not _declared_properties(PROFILE) - used


# --------------------------------------------------------------------------- invalid specs

_DROP = object()


def _edited(document: dict[str, Any], delta: str, drop: Iterable[str]) -> dict[str, Any]:
    """``document`` with the top-level keys of ``delta`` replaced and those of ``drop`` removed."""
    document.update(yaml.safe_load(delta) or {})
    for key in drop:
        del document[key]
    return document


def _spec(delta: str = "", **drop: object) -> Any:
    """MINIMAL, edited (``name=_DROP`` removes name)."""
    return _edited(yaml.safe_load(MINIMAL), delta, drop)


# (id, document, absolute path of the error, failing keyword)
INVALID_SPECS: list[tuple[str, Any, list[str | int], str]] = [
    ("not-a-mapping", ["name: web"], [], "type"),
    ("empty-file", None, [], "type"),
    ("name-missing", _spec(name=_DROP), [], "required"),
    ("image-missing", _spec(image=_DROP), [], "required"),
    ("name-upper-case", _spec("name: Web"), ["name"], "pattern"),
    ("name-underscore", _spec("name: web_1"), ["name"], "pattern"),
    ("name-trailing-dash", _spec("name: web-"), ["name"], "pattern"),
    ("name-leading-digit", _spec("name: 2web"), ["name"], "pattern"),
    ("hspecVersion-number", _spec("hspecVersion: 0.6"), ["hspecVersion"], "type"),
    ("image-name-missing", _spec("image: {tag: '1.0'}"), ["image"], "required"),
    ("image-as-string", _spec("image: library/nginx:1.25"), ["image"], "type"),
    ("image-name-space", _spec("image: {name: my image}"), ["image", "name"], "pattern"),
    ("tag-with-space", _spec("image: {name: a, tag: 1.0 beta}"), ["image", "tag"], "pattern"),
    ("tag-leading-dot", _spec("image: {name: a, tag: .hidden}"), ["image", "tag"], "pattern"),
    ("tag-with-colon", _spec("image: {name: a, tag: 'v1:2'}"), ["image", "tag"], "pattern"),
    ("tag-too-long", _spec(f"image: {{name: a, tag: {'a' * 129}}}"), ["image", "tag"], "pattern"),
    ("tag-boolean", _spec("image: {name: a, tag: yes}"), ["image", "tag"], "type"),
    ("tag-negative", _spec("image: {name: a, tag: -1}"), ["image", "tag"], "minimum"),
    (
        "dockerfile-and-buildSpec",
        _spec("image: {name: a, dockerfile: {}, buildSpec: {stackImage: 'tomcat:8'}}"),
        ["image"],
        "not",
    ),
    ("dockerfile-null", _spec("image: {name: a, dockerfile: }"), ["image", "dockerfile"], "type"),
    (
        "dockerfile-args-list",
        _spec("image: {name: a, dockerfile: {args: [VERSION=1]}}"),
        ["image", "dockerfile", "args"],
        "type",
    ),
    (
        "dockerfile-path-number",
        _spec("image: {name: a, dockerfile: {dockerfilePath: 1}}"),
        ["image", "dockerfile", "dockerfilePath"],
        "type",
    ),
    (
        "buildSpec-without-stackImage",
        _spec("image: {name: a, buildSpec: {runCommands: run.sh}}"),
        ["image", "buildSpec"],
        "required",
    ),
    (
        "buildSpec-blank-stackImage",
        _spec("image: {name: a, buildSpec: {stackImage: ''}}"),
        ["image", "buildSpec", "stackImage"],
        "pattern",
    ),
    (
        "artifact-without-destination",
        _spec("image: {name: a, buildSpec: {stackImage: b, artifacts: [{name: x, source: y}]}}"),
        ["image", "buildSpec", "artifacts", 0],
        "required",
    ),
    (
        "artifact-blank-source",
        _spec(
            "image: {name: a, buildSpec: {stackImage: b,"
            " artifacts: [{name: x, source: '  ', destination: /x}]}}"
        ),
        ["image", "buildSpec", "artifacts", 0, "source"],
        "pattern",
    ),
    (
        "configCommands-list",
        _spec("image: {name: a, buildSpec: {stackImage: b, configCommands: [a, b]}}"),
        ["image", "buildSpec", "configCommands"],
        "type",
    ),
    ("startCommand-list", _spec("startCommand: [python, app.py]"), ["startCommand"], "type"),
    ("replicas-negative", _spec("replicas: -1"), ["replicas"], "minimum"),
    ("replicas-string", _spec("replicas: '2'"), ["replicas"], "type"),
    ("replicas-fraction", _spec("replicas: 1.5"), ["replicas"], "type"),
    ("replicas-no-threshold", _spec("replicas: {min: 1, max: 3}"), ["replicas"], "required"),
    ("replicas-only-min", _spec("replicas: {min: 2}"), ["replicas"], "required"),
    (
        "replicas-threshold-no-percent",
        _spec("replicas: {max: 3, cpuThreshold: '70'}"),
        ["replicas", "cpuThreshold"],
        "pattern",
    ),
    (
        "replicas-threshold-number",
        _spec("replicas: {max: 3, cpuThreshold: 70}"),
        ["replicas", "cpuThreshold"],
        "type",
    ),
    ("replicas-max-zero", _spec("replicas: {max: 0, cpuThreshold: 50%}"), ["replicas", "max"],
     "minimum"),
    ("replicas-min-negative", _spec("replicas: {min: -1, max: 2, cpuThreshold: 5%}"),
     ["replicas", "min"], "minimum"),
    ("cpu-words", _spec("cpu: 2 cores"), ["cpu"], "pattern"),
    ("cpu-number", _spec("cpu: 1"), ["cpu"], "type"),
    ("cpu-memory-unit", _spec("cpu: 512Mi"), ["cpu"], "pattern"),
    ("cpu-three-values", _spec("cpu: 100m-200m-300m"), ["cpu"], "pattern"),
    ("cpu-trailing-text", _spec("cpu: 500mx"), ["cpu"], "pattern"),
    ("memory-GB", _spec("memory: 1GB"), ["memory"], "pattern"),
    ("memory-open-range", _spec("memory: 512Mi-"), ["memory"], "pattern"),
    ("memory-number", _spec("memory: 512"), ["memory"], "type"),
    ("external-string", _spec("external: 'yes'"), ["external"], "type"),
    ("ports-not-a-list", _spec("ports: 8080"), ["ports"], "type"),
    ("port-missing", _spec("ports: [{healthCheck: {}}]"), ["ports", 0], "required"),
    ("port-too-big", _spec("ports: [{port: 70000}]"), ["ports", 0, "port"], "maximum"),
    ("port-zero", _spec("ports: [{port: 0}]"), ["ports", 0, "port"], "minimum"),
    ("port-string-too-big", _spec("ports: [{port: 70000/tcp}]"), ["ports", 0, "port"],
     "pattern"),
    ("port-sctp", _spec("ports: [{port: 8080/sctp}]"), ["ports", 0, "port"], "pattern"),
    ("port-protocol-first", _spec("ports: [{port: tcp/8080}]"), ["ports", 0, "port"],
     "pattern"),
    ("port-float", _spec("ports: [{port: 80.5}]"), ["ports", 0, "port"], "type"),
    ("healthCheck-string", _spec("ports: [{port: 80, healthCheck: /health}]"),
     ["ports", 0, "healthCheck"], "type"),
    ("httpPath-relative", _spec("ports: [{port: 80, healthCheck: {httpPath: health}}]"),
     ["ports", 0, "healthCheck", "httpPath"], "pattern"),
    ("volume-without-path", _spec("volumes: [{name: data}]"), ["volumes", 0], "required"),
    ("volume-without-name", _spec("volumes: [{path: /data}]"), ["volumes", 0], "required"),
    ("volume-name-camel-case", _spec("volumes: [{name: logsDirectory, path: /logs}]"),
     ["volumes", 0, "name"], "pattern"),
    ("volume-name-too-long", _spec(f"volumes: [{{name: {'v' * 64}, path: /logs}}]"),
     ["volumes", 0, "name"], "maxLength"),
    ("volume-path-relative", _spec("volumes: [{name: data, path: data}]"),
     ["volumes", 0, "path"], "pattern"),
    ("volume-size-words", _spec("volumes: [{name: d, path: /d, size: 1 GB}]"),
     ["volumes", 0, "size"], "pattern"),
    ("volume-size-number", _spec("volumes: [{name: d, path: /d, size: 10}]"),
     ["volumes", 0, "size"], "type"),
    ("volume-readOnly-string", _spec("volumes: [{name: d, path: /d, readOnly: 'yes'}]"),
     ["volumes", 0, "readOnly"], "type"),
    ("volume-storageClass-blank", _spec("volumes: [{name: d, path: /d, storageClass: ''}]"),
     ["volumes", 0, "storageClass"], "pattern"),
    ("props-null-value", _spec("props: {KEY: }"), ["props", "KEY"], "type"),
    ("props-list-value", _spec("props: {KEY: [a, b]}"), ["props", "KEY"], "type"),
    ("props-as-list", _spec("props: [A=b]"), ["props"], "type"),
    ("props-key-with-space", _spec("props: {'bad key': x}"), ["props"], "pattern"),
    ("propsVolumePath-relative", _spec("propsVolumePath: etc/config"), ["propsVolumePath"],
     "pattern"),
    ("secrets-string", _spec("secrets: DB_PASSWORD"), ["secrets"], "type"),
    ("secrets-list-of-maps", _spec("secrets: [{DB_PASSWORD: x}]"), ["secrets", 0], "type"),
    ("secrets-null-value", _spec("secrets: {DB_PASSWORD: }"), ["secrets", "DB_PASSWORD"],
     "type"),
    ("secrets-key-with-slash", _spec("secrets: [db/password]"), ["secrets", 0], "pattern"),
    ("secretsVolumePath-number", _spec("secretsVolumePath: 1"), ["secretsVolumePath"], "type"),
    ("agents-mapping", _spec("agents: {name: a, image: b}"), ["agents"], "type"),
    ("agent-without-image", _spec("agents: [{name: fluentd}]"), ["agents", 0], "required"),
    ("agent-name-upper-case", _spec("agents: [{name: Fluentd, image: f}]"),
     ["agents", 0, "name"], "pattern"),
    ("agent-props-list", _spec("agents: [{name: f, image: f, props: [FLUENTD_ARGS=-v]}]"),
     ["agents", 0, "props"], "type"),
    ("agent-volume-without-mountPath",
     _spec("agents: [{name: f, image: f, volumes: [{attach: logs}]}]"),
     ["agents", 0, "volumes", 0], "required"),
    ("agent-volume-relative-mountPath",
     _spec("agents: [{name: f, image: f, volumes: [{attach: logs, mountPath: mnt}]}]"),
     ["agents", 0, "volumes", 0, "mountPath"], "pattern"),
    ("agent-port-name", _spec("agents: [{name: f, image: f, ports: [{port: metrics}]}]"),
     ["agents", 0, "ports", 0, "port"], "pattern"),
    ("agent-secretsVolumePath-relative",
     _spec("agents: [{name: f, image: f, secretsVolumePath: secrets}]"),
     ["agents", 0, "secretsVolumePath"], "pattern"),
    ("k8sSnippets-string", _spec("k8sSnippets: ./snippet.yaml"), ["k8sSnippets"], "type"),
    ("k8sSnippets-blank-item", _spec("k8sSnippets: ['']"), ["k8sSnippets", 0], "pattern"),
    ("allowTraffic-mapping", _spec("allowTraffic: {ports: [80]}"), ["allowTraffic"], "type"),
    ("allowTraffic-ftp-port", _spec("allowTraffic: [{ports: [80/ftp], from: [web]}]"),
     ["allowTraffic", 0, "ports", 0], "pattern"),
    ("allowTraffic-bad-source", _spec("allowTraffic: [{ports: [80], from: [Web_1]}]"),
     ["allowTraffic", 0, "from", 0], "pattern"),
    ("allowTraffic-ports-string", _spec("allowTraffic: [{ports: '80', from: [web]}]"),
     ["allowTraffic", 0, "ports"], "type"),
    ("loadBalancer-list-form", _spec("loadBalancer: [{provider: nginx}, {host: a.com}]"),
     ["loadBalancer"], "type"),
    ("loadBalancer-haproxy", _spec("loadBalancer: {provider: haproxy}"),
     ["loadBalancer", "provider"], "pattern"),
    ("loadBalancer-sticky-string", _spec("loadBalancer: {sticky: 'true'}"),
     ["loadBalancer", "sticky"], "type"),
    ("loadBalancer-host-upper-case", _spec("loadBalancer: {host: Bookinfo.COM}"),
     ["loadBalancer", "host"], "pattern"),
    ("loadBalancer-host-url", _spec("loadBalancer: {host: 'https://bookinfo.com'}"),
     ["loadBalancer", "host"], "pattern"),
    ("loadBalancer-tlsSecret-upper-case", _spec("loadBalancer: {tlsSecret: TLS}"),
     ["loadBalancer", "tlsSecret"], "pattern"),
    ("loadBalancer-mapping-null", _spec("loadBalancer: {mapping: }"),
     ["loadBalancer", "mapping"], "type"),
    ("loadBalancer-mapping-grpc", _spec("loadBalancer: {mapping: [{port: 9080/grpc}]}"),
     ["loadBalancer", "mapping", 0, "port"], "pattern"),
    ("loadBalancer-contextPath-relative",
     _spec("loadBalancer: {mapping: [{port: 80, contextPaths: [productpage]}]}"),
     ["loadBalancer", "mapping", 0, "contextPaths", 0], "pattern"),
    ("loadBalancer-contextPaths-string",
     _spec("loadBalancer: {mapping: [{port: 80, contextPaths: /productpage}]}"),
     ["loadBalancer", "mapping", 0, "contextPaths"], "type"),
    ("loadBalancer-header-list", _spec("loadBalancer: {headers: {X-A: [1, 2]}}"),
     ["loadBalancer", "headers", "X-A"], "type"),
    ("loadBalancer-labels-list", _spec("loadBalancer: {labels: [istio]}"),
     ["loadBalancer", "labels"], "type"),
    ("loadBalancer-className-number", _spec("loadBalancer: {className: 1}"),
     ["loadBalancer", "className"], "type"),
]

_PROFILE = {"environment": "dev", "overrides": "web"}


def _profile(delta: str = "", **drop: object) -> Any:
    return _edited(dict(_PROFILE), delta, drop)


INVALID_PROFILES: list[tuple[str, Any, list[str | int], str]] = [
    ("empty-file", None, [], "type"),
    ("environment-missing", _profile(environment=_DROP), [], "required"),
    ("overrides-missing", _profile(overrides=_DROP), [], "required"),
    ("environment-misspelt", _profile("environement: dev", environment=_DROP), [], "required"),
    ("environment-too-short", _profile("environment: d"), ["environment"], "pattern"),
    ("environment-too-long", _profile(f"environment: {'e' * 31}"), ["environment"], "pattern"),
    ("environment-underscore", _profile("environment: dev_eu"), ["environment"], "pattern"),
    ("overrides-upper-case", _profile("overrides: Web"), ["overrides"], "pattern"),
    ("volume-without-name", _profile("volumes: [{size: 2Gi}]"), ["volumes", 0], "required"),
    ("volume-size-words", _profile("volumes: [{name: logs, size: two gigs}]"),
     ["volumes", 0, "size"], "pattern"),
    ("cpu-memory-unit", _profile("cpu: 512Mi"), ["cpu"], "pattern"),
    ("replicas-only-min", _profile("replicas: {min: 2}"), ["replicas"], "required"),
    ("image-both-builders", _profile("image: {dockerfile: {}, buildSpec: {stackImage: a}}"),
     ["image"], "not"),
    ("agent-without-name", _profile("agents: [{props: {A: b}}]"), ["agents", 0], "required"),
    ("secrets-list-of-maps", _profile("secrets: [{MYSQL_ROOT_PASSWORD: x}]"), ["secrets", 0],
     "type"),
    ("loadBalancer-list-form", _profile("loadBalancer: [{provider: nginx}]"), ["loadBalancer"],
     "type"),
    ("allowTraffic-bad-port", _profile("allowTraffic: [{ports: [http]}]"),
     ["allowTraffic", 0, "ports", 0], "pattern"),
]


def _check_invalid(
    validator: Draft202012Validator, document: Any, path: list[str | int], keyword: str
) -> None:
    errors = _errors(validator, document)
    assert errors, "expected a validation error"
    error = best_match(errors)
    assert error is not None
    assert (list(error.absolute_path), error.validator) == (path, keyword), _describe(errors)
    assert isinstance(error.schema, dict)
    assert str(error.schema.get("x-fix", "")).strip(), "the failing subschema has no x-fix"


@pytest.mark.parametrize(
    ("document", "path", "keyword"),
    [case[1:] for case in INVALID_SPECS],
    ids=[case[0] for case in INVALID_SPECS],
)
def test_invalid_service_spec(
    service: Draft202012Validator, document: Any, path: list[str | int], keyword: str
) -> None:
    _check_invalid(service, document, path, keyword)


@pytest.mark.parametrize(
    ("document", "path", "keyword"),
    [case[1:] for case in INVALID_PROFILES],
    ids=[case[0] for case in INVALID_PROFILES],
)
def test_invalid_profile(
    profile: Draft202012Validator, document: Any, path: list[str | int], keyword: str
) -> None:
    _check_invalid(profile, document, path, keyword)


def test_volume_path_and_image_name_are_optional_only_in_profiles(
    service: Draft202012Validator, profile: Draft202012Validator
) -> None:
    partial = yaml.safe_load("image: {tag: '2'}\nvolumes: [{name: data, size: 2Gi}]\n")
    assert not _errors(profile, dict(_PROFILE, **partial))
    paths = {tuple(e.absolute_path) for e in _errors(service, dict(name="web", **partial))}
    assert paths == {("image",), ("volumes", 0)}


# --------------------------------------------------------------------------- HyScale corpus

_FIXTURES = "hyscale-fixtures/"
_CONTROLLER = _FIXTURES + "workflow-controller/controller-service/src/test/resources/"
_GENERATOR = _FIXTURES + "manifest-generator/generator-services/src/test/resources/"
_DOCKERFILE_GEN = _FIXTURES + "dockerfile-generator/dockerfile-gen-services/src/test/resources/"
_LB_VALIDATOR = _CONTROLLER + "servicespecs/validator/lb-validator/"

# Corpus files that are deliberately (or carelessly) not valid specs. HyScale's own tests feed
# them to a single plugin or validator, never through schema validation. Each must fail, at
# this path with this keyword.
KNOWN_INVALID: dict[str, tuple[list[str | int], str]] = {
    # Fragments without an image, used only to test the load-balancer builders/validator.
    **{
        _GENERATOR + f"builder/input/lb-{kind}.hspec": ([], "required")
        for kind in ("istio", "istio-with-tls", "nginx", "nginx-with-tls", "traefik",
                     "traefik-with-tls")
    },
    **{
        _LB_VALIDATOR + f"{name}.hspec": ([], "required")
        for name in ("lb-invalidPorts", "lb-istio-without-labels", "lb-without-mandatory-fields")
    },
    # Fragment without an image, used only to test Windows path conversion of props.
    _CONTROLLER + "servicespecs/props_update.hspec": ([], "required"),
    # buildSpec without stackImage (HyScale's own schema requires it too).
    _CONTROLLER + "servicespecs/buildSpec_update.hspec": (["image", "buildSpec"], "required"),
    # A volume without a path: the ManifestValidator "invalid volume" fixture.
    _CONTROLLER + "servicespecs/invalid_vol.hspec": (["volumes", 0], "required"),
    # An empty profile: the INPUT_VALIDATION_FAILED fixture.
    _CONTROLLER + "servicespecs/profiles/invalid.hprof": ([], "type"),
    # Both dockerfile and buildSpec; HyScale rejects that at build time instead.
    _CONTROLLER + "servicespecs/myprofileservice.hspec": (["image"], "not"),
    _DOCKERFILE_GEN + "input/invalid-input/myservice.hspec": (["image"], "not"),
    _FIXTURES + "service-spec/service-spec-commons/src/test/resources/servicespecs/myservice.hspec":
        (["image"], "not"),
    # stackImage: "" (the INVALID_STACK_IMAGE fixture).
    _DOCKERFILE_GEN + "input/invalid-input/invalid-stack-image.hspec":
        (["image", "buildSpec", "stackImage"], "pattern"),
    # 'builderSpec', a misspelled buildSpec (the "skip generation" fixtures): an unknown field.
    _DOCKERFILE_GEN + "input/skip-generation/invalid-spec.hspec": (["image"], "additionalProperties"),
    _FIXTURES + "service-spec/service-spec-commons/src/test/resources/servicespecs/stackAsImage/"
    "invalid-spec.hspec": (["image"], "additionalProperties"),
    # image without a name (the image plugin's "no image" fixture).
    _GENERATOR + "plugins/image/no-image.hspec": (["image"], "required"),
}


def _read_yaml(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        # HyScale's examples carry {{username}} placeholders that are not valid YAML.
        return yaml.safe_load(text.replace("{{username}}", "user"))


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the HyScale corpus is not available here")
def test_hyscale_corpus(
    service: Draft202012Validator, profile: Draft202012Validator
) -> None:
    validators = {".hspec": service, ".hprof": profile}
    problems: list[str] = []
    seen: set[str] = set()
    for path in sorted(CORPUS.rglob("*")):
        if path.suffix not in validators or not path.is_file():
            continue
        name = path.relative_to(CORPUS).as_posix()
        try:
            document = _read_yaml(path)
        except yaml.YAMLError:
            continue  # only valid YAML is checked
        seen.add(name)
        errors = _errors(validators[path.suffix], document)
        if name in KNOWN_INVALID:
            error = best_match(errors) if errors else None
            got = (list(error.absolute_path), error.validator) if error else "no error"
            if got != KNOWN_INVALID[name]:
                problems.append(f"{name}: expected {KNOWN_INVALID[name]}, got {got}")
        elif errors:
            problems.append(f"{name}: {_describe(errors)}")
    assert len(seen) > len(KNOWN_INVALID), "the corpus looks empty"
    missing = sorted(set(KNOWN_INVALID) - seen)
    assert not problems, "\n".join(problems)
    assert not missing, f"known-invalid files no longer in the corpus: {missing}"
