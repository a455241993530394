"""Sizes Kubernetes enforces, checked when the spec is read instead of by a 422 at apply.

A ConfigMap or a Secret holds at most 1 MiB of data, and an object's annotations at most
256 KiB (the workload carries the whole spec, secrets left out, in ``hyscale.io/service-spec``).
Without these checks a 50 MB prop renders, is built and pushed, and only the API server says
no. Each error names the prop, secret key or field and the size; never a secret's value.
Label values (63 characters) and name lengths are the schema's rules (``maxLength``).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from hyscale_tasks.spec.effective import EffectiveSpec
from hyscale_tasks.spec.model import Prop, Secrets, ServiceSpec, redacted_spec
from hyscale_tasks.spec.reading import KiB, MiB, human_size
from hyscale_tasks.spec.yamlfile import JsonPath

MAX_DATA_BYTES = MiB  # core.MaxSecretSize: the data of one ConfigMap or Secret
MAX_ANNOTATION_BYTES = 256 * KiB  # TotalAnnotationSizeLimitB: all annotations of one object
# Room left for the other annotations of the workload (digests, checksum, applied kinds).
SPEC_ANNOTATION_BYTES = MAX_ANNOTATION_BYTES - 4 * KiB
# A StatefulSet's pods carry the label controller-revision-hash=<name>-<10-character hash>,
# and a label value has at most 63 characters: longer names create no pods at all.
MAX_STATEFULSET_NAME = 52

TOO_BIG_FOR_CONFIG = ("Put a file this big into the image (an artifact under image.buildSpec) or on "
                      "a volume; props are for configuration.")


@dataclass(frozen=True)
class _Part:
    field: JsonPath
    size: int


def check_file_prop_size(effective: EffectiveSpec, field: JsonPath, argument: str, size: int) -> None:
    """A single ``file()`` prop bigger than a ConfigMap can hold, before it is read at all."""
    if size > MAX_DATA_BYTES:
        raise effective.fail(field, f"file() prop {argument} is {human_size(size)}; a ConfigMap "
                             f"holds at most {human_size(MAX_DATA_BYTES)} (Kubernetes' limit)",
                             TOO_BIG_FOR_CONFIG)


def check_all(effective: EffectiveSpec, service: ServiceSpec) -> None:
    _check_config(effective, ("props",), service.props, service.props_volume_path,
                  f"ConfigMap of service '{service.name}'")
    _check_secrets(effective, ("secrets",), service.secrets, service.secrets_volume_path,
                   f"Secret of service '{service.name}'")
    for index, agent in enumerate(service.agents):
        _check_config(effective, ("agents", index, "props"), agent.props, agent.props_volume_path,
                      f"ConfigMap of sidecar '{agent.name}'")
        _check_secrets(effective, ("agents", index, "secrets"), agent.secrets,
                       agent.secrets_volume_path, f"Secret of sidecar '{agent.name}'")
    _check_spec_annotation(effective)
    if service.volumes and len(service.name) > MAX_STATEFULSET_NAME:
        raise effective.fail(("name",), f"service name is {len(service.name)} characters; a service "
                             f"with volumes runs as a StatefulSet, whose name may have at most "
                             f"{MAX_STATEFULSET_NAME} (its pods get a label '<name>-<hash>' of at "
                             "most 63)", f"Shorten the name to {MAX_STATEFULSET_NAME} characters.")


def _props_file_size(pairs: list[tuple[str, str]]) -> int:
    """Bytes of the ``KEY=value`` file mounted when a volume path is set (config_data.py)."""
    return sum(len(f"{key}={value}\n".encode()) for key, value in pairs)


def _check_config(effective: EffectiveSpec, where: JsonPath, props: tuple[Prop, ...],
                  volume_path: str | None, what: str) -> None:
    parts = [_Part((*where, p.key), len(base64.b64decode(p.value)) if p.kind == "file"
                   else len(p.value.encode())) for p in props]
    total = sum(part.size for part in parts)
    if volume_path and volume_path.strip():
        total += _props_file_size([(p.key, p.value) for p in props if p.kind != "file"])
    _check_total(effective, parts, total, what, "props", TOO_BIG_FOR_CONFIG)


def _check_secrets(effective: EffectiveSpec, where: JsonPath, secrets: Secrets | None,
                   volume_path: str | None, what: str) -> None:
    if secrets is None or secrets.values is None:
        return
    parts = [_Part((*where, key), len(value.encode())) for key, value in secrets.values.items()]
    total = sum(part.size for part in parts)
    if volume_path and volume_path.strip():
        total += _props_file_size(list(secrets.values.items()))
    _check_total(effective, parts, total, what, "secrets",
                 "Keep big secret material (keystores, bundles) out of the spec: create the Secret "
                 "yourself and list its keys under 'secrets:' instead.")


def _check_total(effective: EffectiveSpec, parts: list[_Part], total: int, what: str, kind: str,
                 fix: str) -> None:
    if total <= MAX_DATA_BYTES:
        return
    largest = max(parts, key=lambda part: part.size)
    raise effective.fail(largest.field, f"the {kind} add up to {human_size(total)} in the {what}; "
                         f"Kubernetes allows {human_size(MAX_DATA_BYTES)} (this one is "
                         f"{human_size(largest.size)})", fix)


def _largest_value(value: Any, where: JsonPath) -> _Part:
    """The field whose text is biggest in the annotation, to say what to move out."""
    if isinstance(value, dict):
        items: list[tuple[str | int, Any]] = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return _Part(where, len(json.dumps(value, ensure_ascii=False).encode()))
    parts = [_largest_value(child, (*where, key)) for key, child in items]
    return max(parts, key=lambda part: part.size, default=_Part(where, 0))


def _check_spec_annotation(effective: EffectiveSpec) -> None:
    redacted = redacted_spec(effective.data)
    text = json.dumps(redacted, separators=(",", ":"), ensure_ascii=False)
    size = len(text.encode())
    if size <= SPEC_ANNOTATION_BYTES:
        return
    largest = _largest_value(redacted, ())
    raise effective.fail(largest.field, f"the spec is {human_size(size)} as JSON, and the workload "
                         "carries it in the hyscale.io/service-spec annotation; Kubernetes allows "
                         f"{human_size(MAX_ANNOTATION_BYTES)} of annotations per object (this value "
                         f"is {human_size(largest.size)})",
                         "Move big values into files the spec names with file(...): the "
                         "annotation then holds only the file's name.")
