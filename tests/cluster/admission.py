"""Defaulting and validation, per kind, as the apiserver's registry strategies do them.

Only what a deploy tool can trip over is checked (names, labels, selectors vs template labels,
containers, ports, volume references, immutable fields, StatefulSet spec updates, PVC spec updates,
pod updates), each with the apiserver's message shape so a 422 reads as on a real cluster. Defaults
are the ones controllers and kubelets read (replicas, strategies, imagePullPolicy, protocol,
targetPort, ...) and the ones ``kubectl get -o yaml`` shows, so a diff against a live object looks
the same as on a real cluster.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from .errors import Cause, bad_request
from .quantity import parse_quantity
from .resources import ResourceType

Obj = dict[str, Any]

DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
QUALIFIED_NAME = re.compile(
    r"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"
)
CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")
ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")

MSG_LABEL = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
MSG_SUBDOMAIN = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
MSG_DNS1035 = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
    "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
MSG_LABEL_VALUE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
MSG_CONFIG_KEY = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
    "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
)

MAX_ANNOTATIONS = 256 * 1024
MAX_CONFIG = 1024 * 1024


def go_value(value: Any) -> str:
    """How Go's %#v prints the values the apiserver quotes in messages."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values()):
        inner = ", ".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in sorted(value.items()))
        return f"map[string]string{{{inner}}}"
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def required(path: str) -> Cause:
    return Cause(path, "Required value", "FieldValueRequired")


def invalid(path: str, value: Any, why: str) -> Cause:
    return Cause(path, f"Invalid value: {go_value(value)}: {why}", "FieldValueInvalid")


def forbidden(path: str, why: str) -> Cause:
    return Cause(path, f"Forbidden: {why}", "FieldValueForbidden")


def unsupported(path: str, value: Any, supported: list[str]) -> Cause:
    return Cause(
        path,
        f"Unsupported value: {go_value(value)}: supported values: "
        + ", ".join(json.dumps(s) for s in supported),
        "FieldValueNotSupported",
    )


# ===== defaulting ================================================================================


def image_pull_policy(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    if "@" in last:
        return "IfNotPresent"
    tag = last.split(":", 1)[1] if ":" in last else "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


def _default_probe(probe: Obj | None) -> None:
    if not probe:
        return
    probe.setdefault("timeoutSeconds", 1)
    probe.setdefault("periodSeconds", 10)
    probe.setdefault("successThreshold", 1)
    probe.setdefault("failureThreshold", 3)
    if "httpGet" in probe:
        probe["httpGet"].setdefault("scheme", "HTTP")
        probe["httpGet"].setdefault("path", "/")


def default_container(c: Obj) -> None:
    if isinstance(c.get("image"), str):
        c.setdefault("imagePullPolicy", image_pull_policy(c["image"]))
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    resources = c.setdefault("resources", {})
    limits = resources.get("limits") or {}
    if limits:  # the apiserver copies limits into unset requests
        requests = resources.setdefault("requests", {})
        for name, qty in limits.items():
            requests.setdefault(name, qty)
    for port in c.get("ports") or []:
        port.setdefault("protocol", "TCP")
    for key in ("readinessProbe", "livenessProbe", "startupProbe"):
        _default_probe(c.get(key))
    for env in c.get("env") or []:
        field_ref = (env.get("valueFrom") or {}).get("fieldRef")
        if field_ref is not None:
            field_ref.setdefault("apiVersion", "v1")


def default_pod_spec(spec: Obj) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        if isinstance(c, dict):
            default_container(c)
    for vol in spec.get("volumes") or []:
        for kind in ("configMap", "secret"):
            if isinstance(vol.get(kind), dict):
                vol[kind].setdefault("defaultMode", 420)
        if "emptyDir" in vol and vol["emptyDir"] is None:
            vol["emptyDir"] = {}


def _default_template(obj: Obj) -> None:
    template = (obj.get("spec") or {}).get("template")
    if isinstance(template, dict) and isinstance(template.get("spec"), dict):
        default_pod_spec(template["spec"])


def _default_deployment(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        ru = strategy.setdefault("rollingUpdate", {})
        ru.setdefault("maxUnavailable", "25%")
        ru.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    _default_template(obj)


def _default_statefulset(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    strategy = spec.setdefault("updateStrategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        strategy.setdefault("rollingUpdate", {}).setdefault("partition", 0)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Retain", "whenScaled": "Retain"})
    for claim in spec.get("volumeClaimTemplates") or []:
        claim.setdefault("apiVersion", "v1")
        claim.setdefault("kind", "PersistentVolumeClaim")
        claim.setdefault("spec", {}).setdefault("volumeMode", "Filesystem")
        claim.setdefault("status", {"phase": "Pending"})
    _default_template(obj)


def _default_replicaset(obj: Obj) -> None:
    obj.setdefault("spec", {}).setdefault("replicas", 1)
    _default_template(obj)


def _default_pod(obj: Obj) -> None:
    default_pod_spec(obj.setdefault("spec", {}))


def _default_service(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec["type"] != "ExternalName":
        spec.setdefault("internalTrafficPolicy", "Cluster")
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("ipFamilies", ["IPv4"])
    if spec["type"] in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if spec["type"] == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)
    for port in spec.get("ports") or []:
        port.setdefault("protocol", "TCP")
        if "port" in port:
            port.setdefault("targetPort", port["port"])


def _default_secret(obj: Obj) -> None:
    obj.setdefault("type", "Opaque")
    data = obj.get("data") or {}
    for key, value in data.items():
        try:
            base64.b64decode(str(value), validate=True)
        except (binascii.Error, ValueError):
            raise bad_request(
                f'Secret in version "v1" cannot be handled as a Secret: illegal base64 data '
                f"at input byte 0 (key {key!r})"
            ) from None
    string_data = obj.pop("stringData", None) or {}
    for key, value in string_data.items():  # stringData is write-only: merged into data
        data[key] = base64.b64encode(str(value).encode()).decode()
    if data:
        obj["data"] = data


def _default_pvc(obj: Obj) -> None:
    obj.setdefault("spec", {}).setdefault("volumeMode", "Filesystem")


def _default_network_policy(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if "policyTypes" not in spec:
        spec["policyTypes"] = ["Ingress"] + (["Egress"] if spec.get("egress") else [])
    for rule in (spec.get("ingress") or []) + (spec.get("egress") or []):
        for port in rule.get("ports") or []:
            port.setdefault("protocol", "TCP")


def _default_namespace(obj: Obj) -> None:
    obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
    obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])


def _default_hpa(obj: Obj) -> None:
    obj.setdefault("spec", {}).setdefault("minReplicas", 1)


DEFAULTERS: dict[tuple[str, str], Callable[[Obj], None]] = {
    ("apps", "Deployment"): _default_deployment,
    ("apps", "StatefulSet"): _default_statefulset,
    ("apps", "ReplicaSet"): _default_replicaset,
    ("", "Pod"): _default_pod,
    ("", "Service"): _default_service,
    ("", "Secret"): _default_secret,
    ("", "PersistentVolumeClaim"): _default_pvc,
    ("", "Namespace"): _default_namespace,
    ("networking.k8s.io", "NetworkPolicy"): _default_network_policy,
    ("autoscaling", "HorizontalPodAutoscaler"): _default_hpa,
}


def apply_defaults(rt: ResourceType, obj: Obj) -> None:
    defaulter = DEFAULTERS.get((rt.group, rt.kind))
    if defaulter is not None:
        defaulter(obj)


def initial_status(rt: ResourceType, obj: Obj) -> None:
    """What a status subresource holds right after create: the client's status is ignored."""
    if not rt.has("status"):
        return
    status: Obj = {}
    if rt.kind == "Pod":
        status = {"phase": "Pending", "qosClass": qos_class(obj.get("spec") or {})}
    elif rt.kind in ("Service", "Ingress"):
        status = {"loadBalancer": {}}
    elif rt.kind == "PersistentVolumeClaim":
        status = {"phase": "Pending"}
    elif rt.kind == "Namespace":
        status = {"phase": "Active"}
    elif rt.kind in ("ReplicaSet", "StatefulSet"):
        status = {"replicas": 0, "availableReplicas": 0}
    elif rt.kind == "HorizontalPodAutoscaler":
        status = {"desiredReplicas": 0}
    if rt.builtin:
        obj["status"] = status
    else:  # a custom resource with a status subresource: the client's status is dropped
        obj.pop("status", None)


def qos_class(spec: Obj) -> str:
    containers = (spec.get("containers") or []) + (spec.get("initContainers") or [])
    requests_seen = limits_seen = False
    guaranteed = bool(containers)
    for c in containers:
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        requests_seen |= bool(req)
        limits_seen |= bool(lim)
        for name in ("cpu", "memory"):
            if name not in lim or parse_quantity(req.get(name, lim[name])) != parse_quantity(lim[name]):
                guaranteed = False
    if guaranteed:
        return "Guaranteed"
    return "Burstable" if requests_seen or limits_seen else "BestEffort"


# ===== validation ================================================================================


def validate_metadata(rt: ResourceType, obj: Obj) -> list[Cause]:
    meta = obj.get("metadata") or {}
    name = meta.get("name", "")
    causes: list[Cause] = []
    if rt.kind == "Event":
        pass  # event names are "<object>.<hex time>" and may carry anything the recorder builds
    elif rt.kind in ("Namespace",):
        if not DNS1123_LABEL.fullmatch(name) or len(name) > 63:
            causes.append(invalid("metadata.name", name, MSG_LABEL))
    elif rt.kind == "Service":
        if not DNS1035_LABEL.fullmatch(name) or len(name) > 63:
            causes.append(invalid("metadata.name", name, MSG_DNS1035))
    elif not DNS1123_SUBDOMAIN.fullmatch(name) or len(name) > 253:
        causes.append(invalid("metadata.name", name, MSG_SUBDOMAIN))
    causes += validate_labels(meta.get("labels"), "metadata.labels")
    annotations = meta.get("annotations") or {}
    if not isinstance(annotations, dict) or not all(isinstance(v, str) for v in annotations.values()):
        causes.append(invalid("metadata.annotations", annotations, "annotation values must be strings"))
    elif sum(len(k) + len(v) for k, v in annotations.items()) > MAX_ANNOTATIONS:
        causes.append(
            Cause(
                "metadata.annotations",
                f"Too long: must have at most {MAX_ANNOTATIONS} bytes",
                "FieldValueTooLong",
            )
        )
    return causes


def validate_labels(labels: Any, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for key, value in (labels or {}).items():
        if not QUALIFIED_NAME.fullmatch(key) or len(key.rsplit("/", 1)[-1]) > 63:
            causes.append(
                invalid(
                    path,
                    key,
                    "name part must consist of alphanumeric characters, '-', '_' or "
                    "'.', and must start and end with an alphanumeric character",
                )
            )
        if not isinstance(value, str) or not LABEL_VALUE.fullmatch(value) or len(value) > 63:
            causes.append(invalid(path, value, MSG_LABEL_VALUE))
    return causes


def validate_pod_spec(spec: Any, path: str, claim_volumes: tuple[str, ...] = ()) -> list[Cause]:
    """``claim_volumes``: a StatefulSet's volumeClaimTemplates, which its pods get as volumes."""
    if not isinstance(spec, dict):
        return [required(path)]
    causes: list[Cause] = []
    containers = spec.get("containers") or []
    if not containers:
        causes.append(required(f"{path}.containers"))
    volume_names: set[str] = set(claim_volumes)
    for i, vol in enumerate(spec.get("volumes") or []):
        vname = vol.get("name", "")
        if not vname:
            causes.append(required(f"{path}.volumes[{i}].name"))
        elif vname in volume_names:
            causes.append(
                Cause(
                    f"{path}.volumes[{i}].name",
                    f"Duplicate value: {json.dumps(vname)}",
                    "FieldValueDuplicate",
                )
            )
        volume_names.add(vname)
    seen: set[str] = set()
    for kind in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(kind) or []):
            cpath = f"{path}.{kind}[{i}]"
            causes += _validate_container(c, cpath, volume_names)
            name = c.get("name", "")
            if name in seen:
                causes.append(
                    Cause(f"{cpath}.name", f"Duplicate value: {json.dumps(name)}", "FieldValueDuplicate")
                )
            seen.add(name)
    policy = spec.get("restartPolicy", "Always")
    if policy not in ("Always", "OnFailure", "Never"):
        causes.append(unsupported(f"{path}.restartPolicy", policy, ["Always", "OnFailure", "Never"]))
    return causes


def _validate_container(c: Obj, path: str, volumes: set[str]) -> list[Cause]:
    causes: list[Cause] = []
    name = c.get("name")
    if not name:
        causes.append(required(f"{path}.name"))
    elif not DNS1123_LABEL.fullmatch(name) or len(name) > 63:
        causes.append(invalid(f"{path}.name", name, MSG_LABEL))
    if not c.get("image"):
        causes.append(required(f"{path}.image"))
    policy = c.get("imagePullPolicy")
    if policy not in (None, "Always", "IfNotPresent", "Never"):
        causes.append(unsupported(f"{path}.imagePullPolicy", policy, ["Always", "IfNotPresent", "Never"]))
    for j, port in enumerate(c.get("ports") or []):
        number = port.get("containerPort")
        if not isinstance(number, int) or not 1 <= number <= 65535:
            causes.append(
                invalid(f"{path}.ports[{j}].containerPort", number, "must be between 1 and 65535, inclusive")
            )
        pname = port.get("name")
        if pname is not None and (
            len(pname) > 15
            or not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", pname)
            or not re.search(r"[a-z]", pname)
        ):
            causes.append(
                invalid(
                    f"{path}.ports[{j}].name",
                    pname,
                    "must be no more than 15 characters and contain only lower case letters, "
                    "digits and '-', with at least one letter",
                )
            )
    for j, env in enumerate(c.get("env") or []):
        ename = env.get("name", "")
        if not ename:
            causes.append(required(f"{path}.env[{j}].name"))
        elif not ENV_NAME.fullmatch(ename):
            causes.append(
                invalid(
                    f"{path}.env[{j}].name",
                    ename,
                    "a valid environment variable name must consist of alphabetic characters, "
                    "digits, '_', '-', or '.', and must not start with a digit",
                )
            )
    for j, mount in enumerate(c.get("volumeMounts") or []):
        if mount.get("name") not in volumes:
            causes.append(
                Cause(
                    f"{path}.volumeMounts[{j}].name",
                    f"Not found: {json.dumps(mount.get('name'))}",
                    "FieldValueNotFound",
                )
            )
        if not mount.get("mountPath"):
            causes.append(required(f"{path}.volumeMounts[{j}].mountPath"))
    res = c.get("resources") or {}
    limits, requests = res.get("limits") or {}, res.get("requests") or {}
    for group, values in (("limits", limits), ("requests", requests)):
        for rname, qty in values.items():
            if parse_quantity(qty) is None:
                causes.append(
                    invalid(
                        f"{path}.resources.{group}[{rname}]",
                        qty,
                        "quantities must match the regular expression "
                        "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
                    )
                )
    for rname, qty in requests.items():
        req, lim = parse_quantity(qty), parse_quantity(limits.get(rname))
        if req is not None and lim is not None and req > lim:
            causes.append(
                invalid(
                    f"{path}.resources.requests",
                    qty,
                    f"must be less than or equal to {rname} limit of {limits[rname]}",
                )
            )
    return causes


def _validate_workload(obj: Obj, restart_always: bool = True) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes: list[Cause] = []
    replicas = spec.get("replicas", 1)
    if not isinstance(replicas, int) or replicas < 0:
        causes.append(invalid("spec.replicas", replicas, "must be greater than or equal to 0"))
    selector = spec.get("selector")
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    if not selector:
        causes.append(required("spec.selector"))
    else:
        from .selectors import selector_from_spec

        if not (selector.get("matchLabels") or selector.get("matchExpressions")):
            causes.append(invalid("spec.selector", selector, "empty selector is invalid for deployment"))
        elif not selector_from_spec(selector).matches(labels):
            causes.append(
                invalid(
                    "spec.template.metadata.labels", labels, "`selector` does not match template `labels`"
                )
            )
    causes += validate_labels(labels, "spec.template.metadata.labels")
    claims = tuple((c.get("metadata") or {}).get("name", "") for c in spec.get("volumeClaimTemplates") or [])
    causes += validate_pod_spec(template.get("spec"), "spec.template.spec", claims)
    policy = (template.get("spec") or {}).get("restartPolicy", "Always")
    if restart_always and policy != "Always":
        causes.append(unsupported("spec.template.spec.restartPolicy", policy, ["Always"]))
    return causes


def _validate_service(obj: Obj) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes: list[Cause] = []
    stype = spec.get("type", "ClusterIP")
    if stype not in ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
        causes.append(
            unsupported("spec.type", stype, ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"])
        )
    ports = spec.get("ports") or []
    if not ports and stype != "ExternalName" and spec.get("clusterIP") != "None":
        causes.append(required("spec.ports"))
    seen: set[tuple[int, str]] = set()
    for i, port in enumerate(ports):
        number = port.get("port")
        if not isinstance(number, int) or not 1 <= number <= 65535:
            causes.append(invalid(f"spec.ports[{i}].port", number, "must be between 1 and 65535, inclusive"))
        if len(ports) > 1 and not port.get("name"):
            causes.append(required(f"spec.ports[{i}].name"))
        key = (number, port.get("protocol", "TCP"))
        if key in seen:
            causes.append(
                Cause(f"spec.ports[{i}]", f"Duplicate value: {go_value(port)}", "FieldValueDuplicate")
            )
        seen.add(key)
    return causes


def _validate_config(obj: Obj) -> list[Cause]:
    causes: list[Cause] = []
    size = 0
    for field in ("data", "binaryData"):
        for key, value in (obj.get(field) or {}).items():
            if not CONFIG_KEY.fullmatch(key) or len(key) > 253:
                causes.append(invalid(f"{field}[{key}]", key, MSG_CONFIG_KEY))
            size += len(str(value))
    if size > MAX_CONFIG:
        causes.append(Cause("data", f"Too long: must have at most {MAX_CONFIG} bytes", "FieldValueTooLong"))
    return causes


def _validate_secret(obj: Obj) -> list[Cause]:
    causes = _validate_config(obj)
    data = obj.get("data") or {}
    if obj.get("type") == "kubernetes.io/dockerconfigjson":
        if ".dockerconfigjson" not in data:
            causes.append(required("data[.dockerconfigjson]"))
        else:
            try:
                json.loads(base64.b64decode(data[".dockerconfigjson"]))
            except ValueError as exc:
                causes.append(invalid("data[.dockerconfigjson]", "<secret contents redacted>", str(exc)))
    return causes


def _validate_pvc(obj: Obj) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes: list[Cause] = []
    if not spec.get("accessModes"):
        causes.append(required("spec.accessModes"))
    storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
    if storage is None:
        causes.append(required("spec.resources[storage]"))
    elif parse_quantity(storage) is None:
        causes.append(invalid("spec.resources[storage]", storage, "must be a quantity"))
    return causes


def _validate_hpa(obj: Obj) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes: list[Cause] = []
    ref = spec.get("scaleTargetRef") or {}
    if not ref.get("kind"):
        causes.append(required("spec.scaleTargetRef.kind"))
    if not ref.get("name"):
        causes.append(required("spec.scaleTargetRef.name"))
    max_r, min_r = spec.get("maxReplicas"), spec.get("minReplicas", 1)
    if not isinstance(max_r, int) or max_r < 1:
        causes.append(invalid("spec.maxReplicas", max_r, "must be greater than or equal to 1"))
    elif isinstance(min_r, int) and min_r > max_r:
        causes.append(invalid("spec.minReplicas", min_r, "must be less than or equal to maxReplicas"))
    return causes


def _validate_crd(obj: Obj) -> list[Cause]:
    spec = obj.get("spec") or {}
    names = spec.get("names") or {}
    causes: list[Cause] = []
    for key in ("plural", "kind"):
        if not names.get(key):
            causes.append(required(f"spec.names.{key}"))
    if not spec.get("group"):
        causes.append(required("spec.group"))
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        causes.append(unsupported("spec.scope", spec.get("scope"), ["Cluster", "Namespaced"]))
    if not spec.get("versions"):
        causes.append(required("spec.versions"))
    expected = f"{names.get('plural')}.{spec.get('group')}"
    if obj["metadata"].get("name") != expected:
        causes.append(
            invalid("metadata.name", obj["metadata"].get("name"), 'must be spec.names.plural+"."+spec.group')
        )
    return causes


def _validate_event(obj: Obj) -> list[Cause]:
    involved = obj.get("involvedObject") or {}
    namespace = obj["metadata"].get("namespace", "")
    if involved.get("namespace", "") != namespace and not (
        not involved.get("namespace") and namespace == "default"
    ):
        return [
            invalid(
                "involvedObject.namespace", involved.get("namespace", ""), "does not match event.namespace"
            )
        ]
    return []


VALIDATORS: dict[tuple[str, str], Callable[[Obj], list[Cause]]] = {
    ("", "Event"): _validate_event,
    ("apps", "Deployment"): _validate_workload,
    ("apps", "StatefulSet"): _validate_workload,
    ("apps", "ReplicaSet"): _validate_workload,
    ("", "Pod"): lambda obj: validate_pod_spec(obj.get("spec"), "spec"),
    ("", "Service"): _validate_service,
    ("", "ConfigMap"): _validate_config,
    ("", "Secret"): _validate_secret,
    ("", "PersistentVolumeClaim"): _validate_pvc,
    ("autoscaling", "HorizontalPodAutoscaler"): _validate_hpa,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): _validate_crd,
}


def validate(rt: ResourceType, obj: Obj) -> list[Cause]:
    causes = validate_metadata(rt, obj)
    validator = VALIDATORS.get((rt.group, rt.kind))
    if validator is not None:
        causes += validator(obj)
    return causes


# ----- update-only rules ---------------------------------------------------------------------------

_STS_MUTABLE = (
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
)


def validate_update(rt: ResourceType, old: Obj, new: Obj) -> list[Cause]:
    causes: list[Cause] = []
    old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
    if rt.kind in ("Deployment", "ReplicaSet", "StatefulSet") and old_spec.get("selector") != new_spec.get(
        "selector"
    ):
        causes.append(invalid("spec.selector", new_spec.get("selector"), "field is immutable"))
    if rt.kind == "StatefulSet":
        strip = {k: v for k, v in old_spec.items() if k not in _STS_MUTABLE}
        if strip != {k: v for k, v in new_spec.items() if k not in _STS_MUTABLE}:
            causes.append(
                forbidden(
                    "spec",
                    "updates to statefulset spec for fields other than 'replicas', "
                    "'ordinals', 'template', 'updateStrategy', "
                    "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
                )
            )
    if rt.kind == "PersistentVolumeClaim":

        def mutable(spec: Obj) -> Obj:
            rest = {k: v for k, v in spec.items() if k not in ("resources", "volumeAttributesClassName")}
            return rest

        if mutable(old_spec) != mutable(new_spec):
            causes.append(
                forbidden(
                    "spec",
                    "spec is immutable after creation except resources.requests and "
                    "volumeAttributesClassName for bound claims",
                )
            )
    if rt.kind == "Pod" and _pod_immutable_part(old_spec) != _pod_immutable_part(new_spec):
        causes.append(
            forbidden(
                "spec",
                "pod updates may not change fields other than `spec.containers[*].image`,"
                "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
                "`spec.tolerations` (only additions to existing tolerations),"
                "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
                "previously negative)",
            )
        )
    if rt.kind in ("ConfigMap", "Secret") and old.get("immutable"):
        for field in ("data", "binaryData"):
            if old.get(field) != new.get(field):
                causes.append(forbidden(field, "field is immutable when `immutable` is set"))
        if not new.get("immutable"):
            causes.append(forbidden("immutable", "field is immutable when `immutable` is set"))
    if rt.kind == "Service" and old_spec.get("clusterIP") != new_spec.get("clusterIP"):
        causes.append(invalid("spec.clusterIPs[0]", new_spec.get("clusterIP"), "may not change once set"))
    return causes


def _pod_immutable_part(spec: Obj) -> Obj:
    rest = {
        k: v
        for k, v in spec.items()
        if k not in ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds")
    }
    for kind in ("containers", "initContainers"):
        rest[kind] = [{k: v for k, v in c.items() if k != "image"} for c in spec.get(kind) or []]
    return rest
