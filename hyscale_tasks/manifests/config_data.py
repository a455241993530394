"""ConfigMap and Secret content from props and secrets, for the service and for its sidecars."""

from __future__ import annotations

import base64
from typing import Any

from hyscale_tasks.spec.model import Prop

CONFIG_PROPS_FILE = "config.props"
SECRET_PROPS_FILE = "secret.props"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _is_set(path: str | None) -> bool:
    return path is not None and bool(path.strip())


def props_file(pairs: list[tuple[str, str]]) -> str:
    """``KEY=value`` lines, the form HyScale mounts as config.props / secret.props."""
    return "".join(f"{key}={value}\n" for key, value in pairs)


def config_map_data(props: tuple[Prop, ...], volume_path: str | None) -> dict[str, Any]:
    """``data`` and ``binaryData`` of a props ConfigMap: both always there, possibly empty."""
    data = {prop.key: prop.value for prop in props if prop.kind != "file"}
    binary = {prop.key: prop.value for prop in props if prop.kind == "file"}
    lines = props_file(list(data.items()))
    if lines and _is_set(volume_path):
        data[CONFIG_PROPS_FILE] = lines
    return {"data": data, "binaryData": binary}


def secret_data(values: dict[str, str], volume_path: str | None) -> dict[str, str]:
    """``data`` of a map-form Secret, plus ``secret.props`` when it is mounted."""
    data = {key: _b64(value) for key, value in values.items()}
    if _is_set(volume_path):
        data[SECRET_PROPS_FILE] = _b64(props_file(list(values.items())))
    return data
