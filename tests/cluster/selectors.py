"""Label selectors (string and structured forms) and field selectors, as the apiserver parses them.

A parse error is a 400 with the apiserver's wording; a field selector on a field the kind does not
index is a 400 ``field label not supported``, as a real server answers, so a tool cannot rely on a
selector that would not work against a cluster.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, bad_request

Labels = Mapping[str, str]

_TOKEN = re.compile(r"\s*(!=|==|=|\(|\)|,|!|[^\s!=(),]+)")


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!"
    values: tuple[str, ...] = ()

    def matches(self, labels: Labels) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.op == "=":
            return present and value == self.values[0]
        if self.op == "!=":
            return not present or value != self.values[0]
        if self.op == "in":
            return present and value in self.values
        if self.op == "notin":
            return not present or value not in self.values
        if self.op == "exists":
            return present
        return not present  # "!"


@dataclass(frozen=True)
class LabelSelector:
    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Labels | None) -> bool:
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements


def parse_label_selector(text: str | None) -> LabelSelector:
    if not text or not text.strip():
        return LabelSelector()
    tokens = _TOKEN.findall(text)
    pos = 0

    def fail(msg: str) -> ApiError:
        return bad_request(f"unable to parse requirement: {msg}")

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    reqs: list[Requirement] = []
    while pos < len(tokens):
        tok = tokens[pos]
        if tok == "!":
            pos += 1
            key = peek()
            if key is None or key in "(),=!":
                raise fail("found '!', expected: identifier")
            pos += 1
            reqs.append(Requirement(key, "!"))
        else:
            key = tok
            if key in ("(", ")", ",", "=", "==", "!="):
                raise fail(f"found '{key}', expected: !, identifier, or 'end of string'")
            pos += 1
            op = peek()
            if op in ("=", "==", "!="):
                pos += 1
                value = peek()
                if value is None or value == ",":
                    value = ""
                else:
                    pos += 1
                reqs.append(Requirement(key, "!=" if op == "!=" else "=", (value,)))
            elif op in ("in", "notin"):
                pos += 1
                if peek() != "(":
                    raise fail(f"found '{peek()}', expected: '('")
                pos += 1
                values: list[str] = []
                while peek() not in (")", None):
                    v = tokens[pos]
                    pos += 1
                    if v != ",":
                        values.append(v)
                if peek() != ")":
                    raise fail("found 'end of string', expected: ')'")
                pos += 1
                reqs.append(Requirement(key, op, tuple(values)))
            else:
                reqs.append(Requirement(key, "exists"))
        if peek() == ",":
            pos += 1
        elif peek() is not None:
            raise fail(f"found '{peek()}', expected: ',' or 'end of string'")
    for r in reqs:
        _check_label_key(r.key)
    return LabelSelector(tuple(reqs))


_QUALIFIED_NAME = re.compile(
    r"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"
)


def _check_label_key(key: str) -> None:
    if not _QUALIFIED_NAME.fullmatch(key):
        raise bad_request(
            f'unable to parse requirement: invalid label key "{key}": name part must consist of '
            "alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character"
        )


def selector_from_spec(spec: Mapping[str, Any] | None) -> LabelSelector:
    """A ``metav1.LabelSelector`` (matchLabels + matchExpressions) as a matcher.

    An empty structured selector matches everything, which is why controllers refuse it on create.
    """
    if not spec:
        return LabelSelector()
    reqs = [Requirement(k, "=", (str(v),)) for k, v in (spec.get("matchLabels") or {}).items()]
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
    for expr in spec.get("matchExpressions") or []:
        reqs.append(Requirement(expr["key"], ops[expr["operator"]], tuple(expr.get("values") or ())))
    return LabelSelector(tuple(reqs))


# ----- field selectors ---------------------------------------------------------------------------------

# Fields each kind indexes (beyond metadata.name and metadata.namespace), as the apiserver's
# field-label conversion functions declare them. Values are getters on the stored object.
_Getter = Callable[[Mapping[str, Any]], str]


def _path(*keys: str) -> _Getter:
    def get(obj: Mapping[str, Any]) -> str:
        cur: Any = obj
        for k in keys:
            if not isinstance(cur, Mapping):
                return ""
            cur = cur.get(k)
        if cur is None:
            return ""
        if isinstance(cur, bool):
            return "true" if cur else "false"
        return str(cur)

    return get


_FIELDS: dict[tuple[str, str], dict[str, _Getter]] = {
    ("", "pods"): {
        "spec.nodeName": _path("spec", "nodeName"),
        "spec.restartPolicy": _path("spec", "restartPolicy"),
        "spec.schedulerName": _path("spec", "schedulerName"),
        "spec.serviceAccountName": _path("spec", "serviceAccountName"),
        "spec.hostNetwork": _path("spec", "hostNetwork"),
        "status.phase": _path("status", "phase"),
        "status.podIP": _path("status", "podIP"),
        "status.nominatedNodeName": _path("status", "nominatedNodeName"),
    },
    ("", "events"): {
        "involvedObject.kind": _path("involvedObject", "kind"),
        "involvedObject.namespace": _path("involvedObject", "namespace"),
        "involvedObject.name": _path("involvedObject", "name"),
        "involvedObject.uid": _path("involvedObject", "uid"),
        "involvedObject.apiVersion": _path("involvedObject", "apiVersion"),
        "involvedObject.resourceVersion": _path("involvedObject", "resourceVersion"),
        "involvedObject.fieldPath": _path("involvedObject", "fieldPath"),
        "reason": _path("reason"),
        "reportingComponent": _path("reportingComponent"),
        "source": _path("source", "component"),
        "type": _path("type"),
    },
    ("", "secrets"): {"type": _path("type")},
    ("", "namespaces"): {"status.phase": _path("status", "phase")},
    ("", "nodes"): {"spec.unschedulable": _path("spec", "unschedulable")},
    ("apps", "replicasets"): {"status.replicas": _path("status", "replicas")},
}

_COMMON: dict[str, _Getter] = {
    "metadata.name": _path("metadata", "name"),
    "metadata.namespace": _path("metadata", "namespace"),
}


@dataclass(frozen=True)
class FieldSelector:
    terms: tuple[tuple[_Getter, bool, str], ...] = ()  # (getter, equal?, value)

    def matches(self, obj: Mapping[str, Any]) -> bool:
        return all((get(obj) == value) == equal for get, equal, value in self.terms)


def parse_field_selector(text: str | None, group: str, plural: str) -> FieldSelector:
    if not text or not text.strip():
        return FieldSelector()
    fields = {**_COMMON, **_FIELDS.get((group, plural), {})}
    terms: list[tuple[_Getter, bool, str]] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        m = re.fullmatch(r"([^!=\s]+)\s*(==|=|!=)\s*(.*)", part)
        if not m:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        name, op, value = m.groups()
        if name not in fields:
            raise bad_request(f"field label not supported: {name}")
        terms.append((fields[name], op != "!=", value))
    return FieldSelector(tuple(terms))
