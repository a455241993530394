"""A container's environment and command line, resolved the way the kubelet does it.

``envFrom`` first, then ``env`` in order (later names win); ``$(VAR)`` in values, command and args
expands to variables defined before it (``$$`` escapes). A missing ConfigMap, Secret or key that is
not ``optional`` is a CreateContainerConfigError with the kubelet's message, which tools (and the
troubleshooter in hyscale_tasks) read.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ..quantity import parse_quantity

Obj = dict[str, Any]
Lookup = Callable[[str, str, str], Obj | None]  # (kind, namespace, name) -> object or None
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_FIELD = re.compile(r"^metadata\.(labels|annotations)\['(.+)'\]$")


class ConfigError(Exception):
    """CreateContainerConfigError: ``str()`` is the waiting message."""


def expand(text: str, env: Mapping[str, str]) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
            continue
        if text.startswith("$(", i):
            end = text.find(")", i + 2)
            if end != -1:
                name = text[i + 2 : end]
                out.append(env.get(name, text[i : end + 1]))
                i = end + 1
                continue
        out.append(text[i])
        i += 1
    return "".join(out)


def _data(kind: str, obj: Obj) -> dict[str, str]:
    if kind == "ConfigMap":
        return {str(k): str(v) for k, v in (obj.get("data") or {}).items()}
    return {str(k): base64.b64decode(v).decode(errors="replace") for k, v in (obj.get("data") or {}).items()}


def _source(lookup: Lookup, kind: str, namespace: str, name: str, optional: bool) -> Obj | None:
    obj = lookup(kind, namespace, name)
    if obj is None and not optional:
        raise ConfigError(f'{kind.lower()} "{name}" not found')
    return obj


def _key_ref(lookup: Lookup, kind: str, namespace: str, ref: Obj) -> str | None:
    optional = bool(ref.get("optional"))
    obj = _source(lookup, kind, namespace, str(ref.get("name", "")), optional)
    if obj is None:
        return None
    data = _data(kind, obj)
    key = str(ref.get("key", ""))
    if key not in data:
        if optional:
            return None
        raise ConfigError(f"couldn't find key {key} in {kind} {namespace}/{ref.get('name')}")
    return data[key]


def field_value(pod: Obj, path: str) -> str:
    meta = pod["metadata"]
    simple = {
        "metadata.name": meta.get("name"),
        "metadata.namespace": meta.get("namespace"),
        "metadata.uid": meta.get("uid"),
        "spec.nodeName": (pod.get("spec") or {}).get("nodeName"),
        "spec.serviceAccountName": (pod.get("spec") or {}).get("serviceAccountName", "default"),
        "status.hostIP": "127.0.0.1",
        "status.hostIPs": "127.0.0.1",
        "status.podIP": "127.0.0.1",
        "status.podIPs": "127.0.0.1",
    }
    if path in simple:
        return str(simple[path] or "")
    m = _FIELD.match(path)
    if m:
        return str((meta.get(m.group(1)) or {}).get(m.group(2), ""))
    raise ConfigError(f"unsupported fieldRef {path}")


def resource_value(container: Obj, ref: Obj, node: Mapping[str, str]) -> str:
    """``resourceFieldRef``: the limit (node allocatable when unset) or request, in ``divisor`` units."""
    resource = str(ref.get("resource", ""))
    where, _, name = resource.partition(".")
    given = ((container.get("resources") or {}).get(where) or {}).get(name)
    if given is None and where == "limits":
        given = node.get(name)
    value = parse_quantity(given) if given is not None else Decimal(0)
    divisor = parse_quantity(ref.get("divisor") or "1") or Decimal(1)
    return str(math.ceil((value or Decimal(0)) / divisor))


def container_env(
    pod: Obj, container: Obj, lookup: Lookup, node: Mapping[str, str], warn: Callable[[str], None]
) -> dict[str, str]:
    namespace = pod["metadata"]["namespace"]
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        prefix = str(source.get("prefix") or "")
        for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            ref = source.get(key)
            if ref is None:
                continue
            obj = _source(lookup, kind, namespace, str(ref.get("name", "")), bool(ref.get("optional")))
            if obj is None:
                continue
            skipped = []
            for name, text in sorted(_data(kind, obj).items()):
                if _ENV_NAME.match(prefix + name):
                    env[prefix + name] = text
                else:
                    skipped.append(name)
            if skipped:
                warn(
                    f"Keys [{', '.join(skipped)}] from the EnvFrom {kind.lower()} {namespace}/"
                    f"{ref.get('name')} were skipped since they are considered invalid environment "
                    "variable names."
                )
    for var in container.get("env") or []:
        name = str(var["name"])
        source = var.get("valueFrom")
        if source is None:
            env[name] = expand(str(var.get("value") or ""), env)
            continue
        value: str | None
        if "configMapKeyRef" in source:
            value = _key_ref(lookup, "ConfigMap", namespace, source["configMapKeyRef"])
        elif "secretKeyRef" in source:
            value = _key_ref(lookup, "Secret", namespace, source["secretKeyRef"])
        elif "fieldRef" in source:
            value = field_value(pod, str(source["fieldRef"].get("fieldPath", "")))
        elif "resourceFieldRef" in source:
            value = resource_value(container, source["resourceFieldRef"], node)
        else:
            raise ConfigError(f"unsupported valueFrom for {name}")
        if value is not None:
            env[name] = value
    return env


def command_line(container: Obj, env: Mapping[str, str]) -> tuple[list[str] | None, list[str] | None]:
    """(entrypoint, cmd) for docker: ``command`` replaces the image's ENTRYPOINT (and drops its CMD),
    ``args`` replaces CMD; neither keeps the image's."""
    command = [expand(str(a), env) for a in container.get("command") or []]
    args = [expand(str(a), env) for a in container.get("args") or []]
    return (command or None), (args or None)
