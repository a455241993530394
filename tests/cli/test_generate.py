"""``hyscale generate service manifests`` on every spec of HyScale's own manifest-generator
fixtures (``../shared/corpus``), with no stand-in for their build files.

Most of those fixtures name an artifact (``sample.war``) that the fixture folder does not have:
HyScale's generate command never reads build files, and neither do we, so each renders as it
is. What does not render is said below, each with its reason and the message it gets.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from testing.workspace import CliResult, Workspace

CORPUS = Path("/work/shared/corpus")
GENERATOR = CORPUS / "hyscale-fixtures/manifest-generator/generator-services/src/test/resources"

# Not service specs: fragments HyScale's tests hand to one load-balancer builder or to the
# image plugin alone. They have no image (or no image name), which its schema requires too.
NOT_SPECS = {
    **{f"builder/input/lb-{kind}.hspec": "image: service spec validation failed: 'image' is "
       "required here" for kind in ("istio", "istio-with-tls", "nginx", "nginx-with-tls",
                                    "traefik", "traefik-with-tls")},
    "plugins/image/no-image.hspec": "image.name: service spec validation failed: 'name' is "
    "required here",
}
# A load balancer on port 9080, which the service does not expose: HyScale's deploy refuses it
# and its generate does not check; ours refuses it at render (README, where we differ).
REFUSED = {
    "input/myservice.hspec": "loadBalancer.mapping[0].port: Ports declared in the load balancer "
    "should match with the ports mentioned in the hspec. Mismatched port : 9080/tcp",
}
# file() props are manifest input (a ConfigMap's data), not build files, and a missing one is
# an error for us (HyScale drops the prop silently; README): these fixtures get them.
PROP_FILES = {"processor/agents": ("output.conf", "system.input.conf")}
PARALLEL = 8  # hyscale processes at a time


def _fixtures(tmp_path: Path) -> Path:
    """A copy of the fixtures with the prop files above, and nothing else added."""
    copy = tmp_path / "resources"
    shutil.copytree(GENERATOR, copy)
    for folder, names in PROP_FILES.items():
        for name in names:
            (copy / folder / name).write_text(f"# {name}\n")
    return copy


def _missing_artifacts(spec: Path) -> list[str]:
    build = (yaml.safe_load(spec.read_text()).get("image") or {}).get("buildSpec") or {}
    return [item["source"] for item in build.get("artifacts") or ()
            if not (spec.parent / item["source"]).exists()]


def _generate_all(cli: Workspace, specs: list[Path]) -> list[CliResult]:
    """One run per spec (they all name the same few services), each its own app."""
    results: list[CliResult] = []
    for start in range(0, len(specs), PARALLEL):
        batch = [cli.start_hyscale("generate", "service", "manifests", "-f", str(spec),
                                   "-a", f"fixture-{start + i:02d}")
                 for i, spec in enumerate(specs[start:start + PARALLEL])]
        results += [cli.finish(process) for process in batch]
    return results


@pytest.mark.skipif(not GENERATOR.is_dir(), reason="the HyScale corpus is not available here")
def test_every_manifest_generator_fixture_renders_without_its_build_files(
        offline: Workspace, tmp_path: Path) -> None:
    fixtures = _fixtures(tmp_path)
    specs = sorted(fixtures.rglob("*.hspec"))
    names = [spec.relative_to(fixtures).as_posix() for spec in specs]
    assert not list(fixtures.rglob("*.war")), "a stand-in artifact in the fixtures"
    without_artifact = [name for name, spec in zip(names, specs, strict=True)
                        if _missing_artifacts(spec)]
    assert len(without_artifact) >= 21, without_artifact  # HyScale's fixtures, as they are

    results = _generate_all(offline, specs)

    rendered = []
    for index, (name, spec, result) in enumerate(zip(names, specs, results, strict=True)):
        expected = NOT_SPECS.get(name) or REFUSED.get(name)
        if expected is not None:
            assert result.returncode == 2, f"{name}: {result}"
            assert f"{fixtures / name}:" in result.stderr and expected in result.stderr, \
                f"{name}: {result}"
            continue
        assert result.returncode == 0, f"{name}: {result}"
        service = offline.service_dir(f"fixture-{index:02d}",
                                      yaml.safe_load(spec.read_text())["name"])
        manifests = service / "generated-files" / "manifests"
        workloads = [manifests / kind for kind in ("deployment.yaml", "statefulset.yaml")
                     if (manifests / kind).is_file()]
        assert len(workloads) == 1, f"{name}: {sorted(manifests.glob('*'))}\n{result}"
        assert f"Manifests  path : {manifests} " in result.stdout
        assert not (service / "generated-files" / "dockerfiles").exists(), name
        rendered.append(name)
    assert set(without_artifact) - set(REFUSED) <= set(rendered)
    assert len(rendered) == len(names) - len(NOT_SPECS) - len(REFUSED)
