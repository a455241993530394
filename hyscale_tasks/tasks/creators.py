"""The doit task creators of the render stages: ``spec``, ``dockerfile`` and ``manifests``.

Per service the chain is: spec files -> ``spec:<svc>`` -> build and deploy records ->
``dockerfile:<svc>`` (build record + artifacts) and ``manifests:<svc>`` (deploy record). Each
stage writes only what changed, so an unchanged record stops the chain right there. Build files
are inputs of ``dockerfile`` only: the spec and manifests stages render without them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

from doit.tools import config_changed

from hyscale_tasks import __version__
from hyscale_tasks.image.credentials import (
    credential_files,
    registry_config,
    registry_config_fingerprint,
)
from hyscale_tasks.paths import ServicePaths, service_paths
from hyscale_tasks.spec.references import outside_allowed
from hyscale_tasks.tasks import actions, quick_exit, signals, workers
from hyscale_tasks.tasks.context import Context, loading, named_profile_files, project_dir, resolve
from hyscale_tasks.tasks.discovery import ServiceEntry, discover_kept, signature
from hyscale_tasks.tasks.names import task_name
from hyscale_tasks.tasks.reporter import ConsoleReporter
from hyscale_tasks.tasks.uptodate import (
    ClusterAnswers,
    ClusterInSync,
    ContextUnchanged,
    ImageAvailable,
    ImagePinned,
    OutputsIntact,
    RecordsAsWritten,
    RegistryConfigUnchanged,
    RegistryServes,
)

TaskDict = dict[str, Any]
ServiceTask = Callable[[ServiceEntry, ServicePaths], TaskDict]


def _services() -> tuple[Context, list[ServiceEntry]]:
    ctx = resolve(project_dir())
    return ctx, _discover(ctx)


def _discover(ctx: Context) -> list[ServiceEntry]:
    app_dir = ctx.apps_dir / ctx.app
    profile_files = tuple(sorted(named_profile_files().items()))
    seen = signature(app_dir, [f for _, f in profile_files])
    key = (app_dir, ctx.profile, profile_files, seen)
    if key not in _DISCOVERED:
        with loading():
            _DISCOVERED[key] = discover_kept(app_dir, ctx.profile, seen,
                                             ctx.app_home / "cache" / "services.json")
    return _DISCOVERED[key]


# Every task creator asks for the services; discover once per load, not once per creator. The
# key holds the specs' and profiles' stat, so a process that loads tasks twice (the hyscale
# command) sees edits made in between.
_DISCOVERED: dict[tuple[Any, ...], list[ServiceEntry]] = {}


def _settings(**settings: Any) -> Any:
    """The non-file inputs of a task. doit keeps one config_changed value per task, so a task
    gets exactly one of these. The tool's version is always in: an upgrade re-renders once."""
    return config_changed({"hyscale-tasks": __version__, **settings})


def _per_service(ctx: Context, services: list[ServiceEntry], group_doc: str,
                 service_task: ServiceTask) -> Iterator[TaskDict]:
    """A stage's tasks: the group (``doit build``, its ``doc`` saying what it runs) and one
    sub-task per service (``build:web``), whose dict ``service_task`` makes."""
    yield {"name": None, "doc": group_doc}
    for entry in services:
        yield {"name": entry.name, **service_task(entry, service_paths(ctx.app_home, entry.name))}


def spec_uptodate(paths: ServicePaths, **settings: Any) -> list[Any]:
    """The spec stage's checks besides its files. Whether files from outside the app folder
    are allowed is an input: turning it off must re-validate a spec that was rendered with it
    on, or the outside file would stay in the ConfigMap or the image. Also the ``hyscale``
    command's, which passes its profile file in ``settings``."""
    return [_settings(outside_files=outside_allowed(), **settings),
            RecordsAsWritten(paths.build_spec, paths.deploy_spec)]


def task_spec() -> Iterator[TaskDict]:
    """Validate each service's spec (and profile) into build and deploy records."""
    ctx, services = _services()
    profile_files = named_profile_files()

    def spec(entry: ServiceEntry, paths: ServicePaths) -> TaskDict:
        with_profile = f" + {entry.profile_path.name}" if entry.profile_path else ""
        # A profile named by ``profile=`` is looked up by the stage; one given as a file (the
        # hyscale CLI's -p) is read from there, and the file is the stage's setting instead.
        profile_file = profile_files.get(entry.name)
        setting = {"profile_file": str(profile_file)} if profile_file else {"profile": ctx.profile}
        return {
            "doc": f"validate {entry.spec_path.name}{with_profile} of app {ctx.app}",
            "actions": [(actions.spec_stage, [str(entry.spec_path), ctx.profile, ctx.app,
                                              str(paths.build_spec), str(paths.deploy_spec),
                                              str(profile_file) if profile_file else None])],
            "file_dep": [str(p) for p in entry.spec_inputs],
            "targets": [str(paths.build_spec), str(paths.deploy_spec)],
            "uptodate": spec_uptodate(paths, **setting),
            "clean": True,
        }

    yield from _per_service(ctx, services, "validate every service's spec and profile", spec)


def task_dockerfile() -> Iterator[TaskDict]:
    """Generate each service's Dockerfile from image.buildSpec (skipped per HyScale's rules)."""
    ctx, services = _services()

    def dockerfile(entry: ServiceEntry, paths: ServicePaths) -> TaskDict:
        return {
            "doc": f"generate {entry.name}'s Dockerfile, artifacts and scripts",
            "actions": [(actions.dockerfile_stage, [str(paths.build_spec), str(paths.dockerfiles),
                                                    str(paths.dockerfile_record)])],
            "file_dep": [str(paths.build_spec), *(str(p) for p in entry.build_inputs)],
            "targets": [str(paths.dockerfile_record)],
            "uptodate": [_settings(), OutputsIntact(paths.dockerfile_record)],
        }

    yield from _per_service(
        ctx, services, "generate the Dockerfile of every service that has a buildSpec", dockerfile)


def task_build() -> Iterator[TaskDict]:
    """Build each service's image with the Docker engine (skipped for a prebuilt image)."""
    ctx, services = _services()

    def build(entry: ServiceEntry, paths: ServicePaths) -> TaskDict:
        return {
            "doc": f"build {entry.name}'s image (docker build; log in logs/build.log)",
            "actions": [(actions.build_stage, [str(paths.build_spec), str(paths.dockerfiles),
                                               str(paths.build_record), str(paths.context_cache),
                                               str(paths.build_log), ctx.verbose])],
            "file_dep": [str(paths.build_spec), str(paths.dockerfile_record)],
            "targets": [str(paths.build_record)],
            "uptodate": [_settings(), RecordsAsWritten(paths.build_record),
                         ContextUnchanged(paths.build_spec, paths.build_record, paths.context_cache),
                         ImageAvailable(paths.build_record, paths.push_record)],
        }

    yield from _per_service(ctx, services, "build the image of every service that builds one",
                            build)


def task_push() -> Iterator[TaskDict]:
    """Push each service's image to its registry, after checking the login."""
    ctx, services = _services()

    def push(entry: ServiceEntry, paths: ServicePaths) -> TaskDict:
        return {
            "doc": f"push {entry.name}'s image to its registry (log in logs/push.log)",
            "actions": [(actions.push_stage, [str(paths.build_record), str(paths.push_record),
                                              str(paths.push_log), ctx.verbose])],
            "file_dep": [str(paths.build_record)],
            "targets": [str(paths.push_record)],
            "uptodate": [_settings(cleanup=os.environ.get("HYS_IMAGE_CLEANUP_POLICY", "")),
                         RecordsAsWritten(paths.push_record),
                         RegistryServes(paths.build_record, paths.push_record)],
        }

    yield from _per_service(ctx, services, "push the image of every service that builds one", push)


def task_manifests() -> Iterator[TaskDict]:
    """Render each service's Kubernetes manifests, one YAML file per resource."""
    ctx, services = _services()
    credentials = [str(path) for path in credential_files()]
    given_credentials = RegistryConfigUnchanged(registry_config_fingerprint())

    def manifests(entry: ServiceEntry, paths: ServicePaths) -> TaskDict:
        return {
            "doc": f"render {entry.name}'s Kubernetes manifests",
            "actions": [(actions.manifests_stage, [str(paths.deploy_spec), str(paths.push_record),
                                                   str(paths.manifests),
                                                   str(paths.manifests_record)])],
            # The image-pull Secret carries the registry login: a new login re-renders it,
            # whether it comes from the docker config file or from HYS_REGISTRY_CONFIG.
            "file_dep": [str(paths.deploy_spec), *credentials],
            "targets": [str(paths.manifests_record)],
            "uptodate": [_settings(), given_credentials, OutputsIntact(paths.manifests_record),
                         ImagePinned(paths.deploy_spec, paths.push_record, paths.manifests_record)],
        }

    yield from _per_service(ctx, services, "render the Kubernetes manifests of every service",
                            manifests)


def task_cluster() -> Iterator[TaskDict]:
    """Check that the cluster answers, before a deploy builds anything (HyScale checks first)."""
    ctx, services = _services()

    def cluster(entry: ServiceEntry, paths: ServicePaths) -> TaskDict:
        return {
            "doc": f"check that the cluster answers, before {entry.name}'s deploy builds anything",
            "actions": [(actions.cluster_stage, [ctx.namespace, str(paths.deploy_record),
                                         str(paths.manifests_record)])],
            # No file_dep: it is up to date whenever the cluster answers, which the probe asks
            # with the read the deploy's in-sync check makes first anyway. After the spec: a
            # service that builds nothing needs no check, and its record says so.
            "task_dep": [task_name("spec", entry.name)],
            "uptodate": [ClusterAnswers(paths.build_spec, paths.deploy_record,
                                        paths.manifests_record, ctx.namespace)],
            "verbosity": 2,
        }

    yield from _per_service(ctx, services, "check that the cluster of the kubeconfig answers",
                            cluster)


def task_deploy() -> Iterator[TaskDict]:
    """Deploy each service: image, manifests, apply, wait for the rollout, say where it answers."""
    ctx, services = _services()

    def deploy(entry: ServiceEntry, paths: ServicePaths) -> TaskDict:
        return {
            "doc": f"deploy {entry.name} to namespace {ctx.namespace} and wait until it is ready",
            "actions": [(actions.deploy_stage, [str(paths.deploy_spec), str(paths.push_record),
                                                str(paths.manifests), str(paths.manifests_record),
                                                ctx.namespace, str(paths.deploy_record),
                                                str(paths.deploy_log)])],
            # The push record too: a new image under the same tag must reach the cluster in the
            # run that pushed it (the manifests stage does not wait for the push).
            "file_dep": [str(paths.deploy_spec), str(paths.manifests_record),
                         str(paths.push_record)],
            # Explicit task_dep come first, before the tasks behind file_dep (doit goes depth
            # first): the spec is validated, then the cluster checked, as HyScale does, and a
            # cluster that does not answer stops the run before this service's build (with
            # -n N, a stage another worker started already finishes). Not a dependency of the
            # build itself: `doit build:<svc>` needs no cluster.
            "task_dep": [task_name("spec", entry.name), task_name("cluster", entry.name)],
            "targets": [str(paths.deploy_record)],
            "uptodate": [_settings(namespace=ctx.namespace),
                         ClusterInSync(paths.deploy_record, paths.manifests_record, ctx.namespace)],
            "verbosity": 2,  # the rollout's progress is worth seeing while it happens
        }

    yield from _per_service(
        ctx, services, f"deploy every service of {ctx.app} to namespace {ctx.namespace}", deploy)


def doit_config() -> dict[str, Any]:
    """DOIT_CONFIG for a dodo file: per-app state under HYSCALE_HOME, a render by default.

    Also makes Ctrl-C and SIGTERM end the run cleanly (tasks/signals.py), keeps a service's
    stages in one worker under ``-n N`` (tasks/workers.py), and takes the docker
    config ``HYS_REGISTRY_CONFIG=true`` pipes in (image/credentials.py): this is the one
    function every way of loading the tasks calls, before any worker is started. The run's
    events go to the tool log through the reporter (tasks/reporter.py): doit's console one
    unless ``-r`` names another."""
    signals.install()
    quick_exit.install()
    workers.install()
    ctx = resolve(project_dir())
    with loading():
        registry_config()  # read and checked now: a bad value is one error, before any stage
    ctx.app_home.mkdir(parents=True, exist_ok=True, mode=0o700)
    return {
        # Manifests first: they need no build files (spec/build_files.py), so a checkout
        # without the build outputs still gets every service's manifests before the
        # Dockerfile stage stops on the first file it misses.
        "default_tasks": ["manifests", "dockerfile"],
        "reporter": ConsoleReporter,
        "backend": "sqlite3-locked",
        "dep_file": str(ctx.app_home / "doit.sqlite"),
        "par_type": "process",
        "action_string_formatting": "new",
        "verbosity": 1,
    }
