"""The app of benchmarks/bench_peers.py: 10 services of HyScale specs, as a team would have them.

* ``web1``..``web4``: a generated Dockerfile each (buildSpec on the test registry's busybox stack
  image, one artifact, the site, copied to /www/; configure commands write a health page; run
  commands serve /www with busybox httpd on 8080);
* ``custom``: the user's own Dockerfile and build context (``custom/``);
* ``api1``..``api4``: the prebuilt test image (testing/testapp: httpd on 8080, a TCP echo on
  6379) used as it is, nothing to build;
* ``store``: a stateful service (a volume, so a StatefulSet and a claim the default StorageClass
  provisions) on the test image as it is.

Props (a ConfigMap) on web1, web3, api1, api3 and store; secrets (a Secret) on web2, api1, api4;
HTTP health checks (an httpGet probe on 8080) on web2, web4, custom and api2. HyScale's probes
start after 10 s and run every 30 s, so each of those services is ready about 30 s after its pod
starts: the first deploy of every tool waits for that. The benchmark's changes go to services
without a health check (:data:`PROP_SERVICE`, :data:`ARTIFACT_SERVICE`), so that the time of
the change shows each tool's own work rather than the kubelet's probe period.

Each tool gets its own copy (:func:`write_app`): the images go to a repository of its own
(``REPO/<service>``), and a ``marker`` goes into every built service's content, so that a tool
never finds its images already built (by the Docker engine's layer cache or the registry) because
another tool built the same content before it.
"""

from __future__ import annotations

from pathlib import Path

SERVICES = ("web1", "web2", "web3", "web4", "custom", "api1", "api2", "api3", "api4", "store")
BUILT = ("web1", "web2", "web3", "web4", "custom")  # the services whose image a tool builds
PROP_SERVICE, PROP = "api1", "GREETING"  # the prop the "prop" workload changes
ARTIFACT_SERVICE = "web1"  # the service whose artifact the "artifact" workload changes

# Not `exec httpd`: as the container's PID 1, httpd would ignore SIGTERM and every stop of a pod
# would sit out its 30 s grace period (and so would every rollout's old pod).
SERVE = "trap 'exit 0' TERM\nhttpd -f -p 8080 -h /www &\nwait"

WEB = """\
name: {name}
image:
  registry: {registry}
  name: {repo}/{name}
  tag: "1.0"
  buildSpec:
    stackImage: {stack}
    artifacts:
      - name: site
        source: {name}/index.html
        destination: /www/
    configCommands: |-
      mkdir -p /www/health
      echo ok > /www/health/index.html
    runCommands: |-
{run}
{extra}ports:
  - port: 8080/http{health}
"""

CUSTOM = """\
name: custom
image:
  registry: {registry}
  name: {repo}/custom
  tag: "1.0"
  dockerfile:
    path: custom
ports:
  - port: 8080/http
    healthCheck:
      httpPath: /health/
"""

DOCKERFILE = """\
FROM {stack}
COPY site/ /www/
RUN mkdir -p /www/health && echo ok > /www/health/index.html
CMD ["/bin/sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"]
"""

API = """\
name: {name}
image:
  registry: {registry}
  name: {image}
  tag: "{tag}"
{extra}ports:
  - port: 8080/http{health}
  - port: 6379/tcp
"""

STORE = """\
name: store
image:
  registry: {registry}
  name: {image}
  tag: "{tag}"
volumes:
  - name: data
    path: /data
    size: 100Mi
props:
  ROLE: primary
ports:
  - port: 6379/tcp
"""

HEALTH = "\n    healthCheck:\n      httpPath: /health/"
API_HEALTH = "\n    healthCheck:\n      httpPath: /"

EXTRA = {
    "web1": "props:\n  GREETING: hello from web1\n  PEER: endpoint(api1)\n",
    "web2": "secrets:\n  API_TOKEN: web2-token\n",
    "web3": "props:\n  GREETING: hello from web3\n  LIMIT: \"30\"\npropsVolumePath: /etc/web3\n",
    "web4": "",
    "api1": "props:\n  GREETING: hello from api1\n  BACKEND: endpoint(store)\n"
            "secrets:\n  DB_PASSWORD: api1-password\n  SESSION_KEY: api1-session\n",
    "api2": "",
    "api3": "props:\n  MODE: batch\n  WORKERS: \"4\"\n",
    "api4": "secrets:\n  TOKEN: api4-token\n",
}
WITH_HEALTH = ("web2", "web4", "custom", "api2")


def write_app(folder: Path, *, registry: str, repo: str, stack: str, app_image: str,
              marker: str) -> Path:
    """The 10 specs (and sites, and the user Dockerfile's context) in ``folder`` (the app
    folder, ``APPS/<app>``). ``registry``: where images go (host:port); ``repo``: the repository
    prefix of the built images; ``stack``: the stack image; ``app_image``: the prebuilt image
    (``host:port/name:tag``), named through ``registry``; ``marker``: written into every built
    service's content. Returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    image, _, tag = app_image.split("/", 1)[1].rpartition(":")
    run = "\n".join(f"      {line}" for line in SERVE.splitlines())
    for name in SERVICES:
        if name.startswith("web"):
            text = WEB.format(name=name, registry=registry, repo=repo, stack=stack, run=run,
                              extra=EXTRA[name], health=HEALTH if name in WITH_HEALTH else "")
        elif name == "custom":
            text = CUSTOM.format(registry=registry, repo=repo)
            (folder / "custom" / "site").mkdir(parents=True, exist_ok=True)
            (folder / "custom" / "Dockerfile").write_text(DOCKERFILE.format(stack=stack))
        elif name == "store":
            text = STORE.format(registry=registry, image=image, tag=tag)
        else:
            text = API.format(name=name, registry=registry, image=image, tag=tag, extra=EXTRA[name],
                              health=API_HEALTH if name in WITH_HEALTH else "")
        (folder / f"{name}.hspec").write_text(text)
    for name in BUILT:
        set_artifact(folder, name, marker)
    return folder


def set_artifact(folder: Path, service: str, marker: str) -> Path:
    """Write the site (the artifact, or the user Dockerfile's context) of a built service."""
    site = folder / service / "index.html" if service != "custom" else \
        folder / "custom" / "site" / "index.html"
    site.parent.mkdir(parents=True, exist_ok=True)
    site.write_text(f"<h1>{service}</h1>\n<p>{marker}</p>\n")
    return site


def set_prop(folder: Path, value: str) -> Path:
    """Change :data:`PROP` of :data:`PROP_SERVICE` to ``value`` in its spec."""
    spec = folder / f"{PROP_SERVICE}.hspec"
    lines = spec.read_text().splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.startswith(f"  {PROP}:"):
            lines[index] = f"  {PROP}: {value}\n"
            break
    else:
        raise AssertionError(f"no {PROP} in {spec}")
    spec.write_text("".join(lines))
    return spec
