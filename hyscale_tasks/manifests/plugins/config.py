"""Props and secrets: ConfigMap and Secret data, pod volumes, env vars and mounts (§2.3, §2.4).

One deliberate change: list-form secrets (a Secret the user created) get their volume mounted at
``secretsVolumePath`` too. HyScale adds the volume but forgets the mount (§11.6), so the files the
user asked for never appear in the container.
"""

from __future__ import annotations

from hyscale_tasks.manifests.base import CONTAINER, POD_SPEC, Plugin, RenderContext, Snippet
from hyscale_tasks.manifests.config_data import config_map_data, secret_data
from hyscale_tasks.manifests.containers import env_vars


def _config_map_data(ctx: RenderContext) -> list[Snippet]:
    if not ctx.service.props:
        return []
    content = config_map_data(ctx.service.props, ctx.service.props_volume_path)
    return [Snippet("ConfigMap", "data", content["data"]),
            Snippet("ConfigMap", "binaryData", content["binaryData"])]


def _secrets_data(ctx: RenderContext) -> list[Snippet]:
    secrets = ctx.service.secrets
    if secrets is None or secrets.values is None:
        return []
    return [Snippet("Secret", "data", secret_data(secrets.values, ctx.service.secrets_volume_path))]


def _volumes(ctx: RenderContext) -> list[Snippet]:
    service, name = ctx.service, ctx.app_service_name
    volumes = []
    if service.props_volume_path and service.props:
        volumes.append({"name": f"{name}-configmap", "configMap": {"name": name}})
    if service.secrets_volume_path and service.secrets is not None:
        volumes.append({"name": f"{name}-secret", "secret": {"secretName": name}})
    return [Snippet(ctx.owner_kind, f"{POD_SPEC}.volumes", volumes)] if volumes else []


def _env(ctx: RenderContext) -> list[Snippet]:
    env = env_vars(ctx.service.props, ctx.service.secrets, ctx.app_service_name)
    return [Snippet(ctx.owner_kind, f"{CONTAINER}.env", env)] if env else []


def _volume_mounts(ctx: RenderContext) -> list[Snippet]:
    service, name = ctx.service, ctx.app_service_name
    mounts = [{"name": volume.name, "mountPath": volume.path, "readOnly": volume.read_only}
              for volume in service.volumes]
    if service.props_volume_path and service.props:
        mounts.append({"name": f"{name}-configmap", "mountPath": service.props_volume_path,
                       "readOnly": True})
    if service.secrets_volume_path and service.secrets is not None:
        mounts.append({"name": f"{name}-secret", "mountPath": service.secrets_volume_path,
                       "readOnly": True})
    return [Snippet(ctx.owner_kind, f"{CONTAINER}.volumeMounts", mounts)] if mounts else []


CONFIG_MAP_DATA = Plugin("ConfigMapDataHandler", _config_map_data)
SECRETS_DATA = Plugin("SecretsDataHandler", _secrets_data)
VOLUMES = Plugin("VolumesHandler", _volumes)
POD_ENV = Plugin("PodSpecEnvHandler", _env)
VOLUME_MOUNTS = Plugin("VolumeMountsHandler", _volume_mounts)
