"""ImagePullSecretHandler: a dockerconfigjson Secret with the registry's credentials (§6.2 #1).

The registry credentials are resolved by the caller (the docker SDK's credential lookup lives in
``image/``); this plugin only writes them down. The Secret is named after the registry and
carries no app or service label: every service of every app in the namespace that pulls from
that registry shares it. (HyScale labels it with the app, so two apps relabel it in turn and
undeploying one removes it from the other; undeploy removes it once nothing pulls with it.)
"""

from __future__ import annotations

import base64
import json

from hyscale_tasks.docker_hub import HYSCALE_NAME
from hyscale_tasks.manifests.base import Plugin, RenderContext, Snippet
from hyscale_tasks.registry_logins import login_fix, reads_registry_config


def _contribute(ctx: RenderContext) -> list[Snippet]:
    secret = ctx.pull_secret
    registry = ctx.service.image.registry or HYSCALE_NAME
    if secret is None:
        # HyScale's warning word for word, unless the logins come from HYS_REGISTRY_CONFIG,
        # where 'docker login' would not give the tool one
        fix = login_fix(registry) if reads_registry_config() else \
            f"perform 'docker login {registry} '"
        ctx.warn(f"Missing credentials for the registry {registry}. Please {fix} to continue "
                 "with the deployment")
        return []
    config = {"auths": {secret.registry: {"auth": secret.auth}}}
    encoded = base64.b64encode(json.dumps(config, separators=(",", ":")).encode()).decode()
    return [
        Snippet("Secret", "apiVersion", "v1", secret.registry),
        Snippet("Secret", "kind", "Secret", secret.registry),
        Snippet("Secret", "metadata", {"name": secret.name},
                secret.registry),
        Snippet("Secret", "data", {".dockerconfigjson": encoded}, secret.registry),
        Snippet("Secret", "type", "kubernetes.io/dockerconfigjson", secret.registry),
    ]


IMAGE_PULL_SECRET = Plugin("ImagePullSecretHandler", _contribute)
