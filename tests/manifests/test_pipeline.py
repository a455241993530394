"""The plugin pipeline: HyScale's order, and a failing plugin reported without hiding the rest."""

from __future__ import annotations

import pytest

from hyscale_tasks.errors import HyscaleError
from hyscale_tasks.manifests import render
from hyscale_tasks.manifests.all_plugins import PLUGIN_NAMES, PLUGINS
from hyscale_tasks.manifests.base import Plugin, RenderContext, Snippet
from testing.manifests import make_context

HYSCALE_ORDER = (
    "ImagePullSecretHandler", "MetaDataHandler", "ConfigMapDataHandler", "SecretsDataHandler",
    "ReplicasHandler", "SelectorLabelsHandler", "PodSpecLabels", "VolumesHandler",
    "StartCommandHandler", "ContainerNameHandler", "ImageHandler", "PodSpecEnvHandler",
    "VolumeMountsHandler", "PortsHandler", "HealthChecksHandler", "ResourceLimitsHandler",
    "VolumeTemplatesHandler", "ServiceTypeHandler", "ServiceSpecAnnotationHandler",
    "AutoScalingPluginHandler", "AgentHandler", "LabelsAddonHandler", "PodAnnotationHandler",
    "LoadBalancerHandler", "NetworkPoliciesHandler",
)

SPEC = {"name": "web", "image": {"registry": "r.io", "name": "web", "tag": "1"},
        "ports": [{"port": "8080/http"}], "props": {"A": "1"}}


def test_plugins_run_in_hyscales_order() -> None:
    assert PLUGIN_NAMES == HYSCALE_ORDER


def _crash(ctx: RenderContext) -> list[Snippet]:
    raise KeyError("boom")


def _refuse(ctx: RenderContext) -> list[Snippet]:
    raise HyscaleError("cannot do that")


def _bad_path(ctx: RenderContext) -> list[Snippet]:
    return [Snippet("Deployment", "metadata.name.x", "y")]


def test_every_failing_plugin_is_reported_after_all_have_run(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []

    def spy(ctx: RenderContext) -> list[Snippet]:
        ran.append("spy")
        return []

    plugins = (*PLUGINS[:3], Plugin("Refuses", _refuse), Plugin("BadPath", _bad_path),
               Plugin("Spy", spy))
    monkeypatch.setattr(render, "PLUGINS", plugins)
    with pytest.raises(HyscaleError) as failure:
        render.build_manifests(make_context(SPEC), [])
    message = str(failure.value)
    assert "Refuses: cannot do that" in message
    assert "BadPath: Deployment metadata.name.x" in message
    assert ran == ["spy"]


def test_a_crashing_plugin_is_a_bug_raised_once_the_others_ran(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Not an expected failure (design: a bug shows its traceback), and it hides nothing."""
    ran: list[str] = []

    def spy(ctx: RenderContext) -> list[Snippet]:
        ran.append("spy")
        return []

    plugins = (Plugin("Crashes", _crash), *PLUGINS[:3], Plugin("Refuses", _refuse),
               Plugin("Spy", spy))
    monkeypatch.setattr(render, "PLUGINS", plugins)
    with pytest.raises(KeyError, match="boom") as failure:
        render.build_manifests(make_context(SPEC), [])
    notes = "\n".join(failure.value.__notes__)
    assert "(in the manifest plugin Crashes)" in notes
    assert "Refuses: cannot do that" in notes
    assert ran == ["spy"]


def test_manifests_keep_the_order_plugins_first_touched_them() -> None:
    kinds = [m.kind for m in render.build_manifests(make_context(SPEC), [])]
    assert kinds == ["Deployment", "ConfigMap", "Service"]
