"""How the deploy's cost grows with the number of services, on the test cluster.

For one app of 5, 10, 20 and 40 services (the services of ``benchmarks/bench_deploy.py``: the
prebuilt test image from the authenticated test registry, props, map secrets, a port; no health
check), each size in a namespace ``scale-<n>-<hex>`` and a HYSCALE_HOME of its own:

* the first deploy, ``doit -n 8 deploy`` (as bench_deploy does it), timed once; it waits for the
  rollouts, and the pods are counted running afterwards;
* the no-op deploy, plain ``doit deploy`` (as bench_deploy times it), the median of 5 runs
  alternating with ``python -m doit --version`` so that a busy moment of the machine hits both;
* for every run, the API requests it made, from the API server's audit log: the entries of user
  ``hyscale-tool`` (the tool's kubeconfig) received during the run, about the app's namespace
  or cluster-wide (discovery, the namespace itself...), split by verb (get, list, watch, create,
  patch...; a server-side dry run is not a write; a request logged twice, ResponseStarted and
  ResponseComplete, as a pod's log is, counts once). The audit policy logs only the tool's and the
  admin's requests, so the controllers' watches and lists are never in it; the admin's (this
  script's own checks) are left out, and so are cluster-wide requests of other programs that
  use the tool's kubeconfig (a benchmark's kubectl or Skaffold), told apart by their User-Agent.
  The tool's runs reach the API server at the node's address (HYSCALE_TEST_NODE_IP, through a
  copy of the tool's kubeconfig: same user and credentials), and only requests from that source
  address count, so the tests and benchmarks others run on the cluster at the same time
  (127.0.0.1) are left out; the notes say how many there were, for the timings' sake. Should
  another run of the tool come from that address too (requests about other namespaces), the
  cluster-wide requests of such a window are shown apart (``+N?``) and left out of the counts;
* the peak memory of the doit process: ``ru_maxrss`` (KiB) of the rusage ``os.wait4`` returns
  for it. The kernel folds the peaks of the processes it reaped into it as a maximum, not a sum:
  with ``-n 8`` that is the largest of the main process and its workers. A small launcher
  process starts doit (``subprocess.Popen``) and reaps it (``os.wait4(pid, 0)``), because a
  child's ru_maxrss starts at the resident size of the process that forked it, and this one
  imports the kubernetes client; the launcher's own size, the floor of the figure, is printed
  (``true`` measured the same way).

Then the figures per service and, for each doubling, time(2n)/time(n) and reads(2n)/reads(n)
against 2: where a ratio goes above 2 (10% allowed for noise), growth stops being linear. A
fixed cost per run (Python, doit, the kubernetes client) keeps a linear cost below 2, so the
cost added per service between two sizes is printed too.

Progress goes to stderr, the results to stdout. Each size's namespace is deleted (and waited for,
untimed) before the next size starts, and every namespace it made is deleted at the end. About
3-5 minutes on 2 cores. It needs the test services (registry, test image, cluster, audit log):

    scripts/test-services start DIR .venv/bin/python
    . DIR/env
    .venv/bin/python -m benchmarks.bench_scale
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from benchmarks.timing import as_users_run_it
from testing.audit import MARK_LABEL, TOOL_USER, record_of
from testing.cluster import Cluster, KubeEnv, wait_for
from testing.registry import Registry, write_docker_config
from testing.workspace import SCRUBBED, DoitResult

REPO = Path(__file__).resolve().parents[1]
SIZES = (5, 10, 20, 40)
JOBS = 8  # doit -n for the first deploy, as bench_deploy
REPEAT = 5  # no-op runs (and doit --version runs) per size
WRITES = frozenset({"create", "update", "patch", "delete", "deletecollection"})
TOOL_AGENT = "hyscale-tasks/"  # the User-Agent of the tool's requests (cluster/client.py)
TOLERANCE = 1.1  # a doubling ratio above 2 x this is growth faster than linear


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- one measured process ------------------------------------------------------------------------
@dataclass
class Run:
    seconds: float
    max_rss_kib: int
    result: DoitResult
    requests: list[dict[str, Any]] = field(default_factory=list)  # ours: namespace + cluster-wide
    others: int = 0  # the tool's requests about other namespaces during the run
    maybe: list[dict[str, Any]] = field(default_factory=list)  # cluster-wide, maybe another run's
    foreign: int = 0  # requests of the tool's user from other addresses: others at work

    @property
    def reads(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["action"] not in WRITES]

    @property
    def writes(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["action"] in WRITES and "dryRun" not in r["query"]]

    def by_verb(self) -> str:
        verbs = Counter(r["action"] + (" (dry run)" if "dryRun" in r["query"] else "")
                        for r in self.requests)
        wide = sum(1 for r in self.requests if not r["namespace"] and r["resource"] != "namespaces")
        return (", ".join(f"{verb} {count}" for verb, count in verbs.most_common()) or "none") + \
            f" (cluster-wide {wide}" + (f"; +{len(self.maybe)}? maybe another run's" if self.maybe
                                        else "") + ")"

    def reads_cell(self) -> str:
        return str(len(self.reads)) + (f"+{len(self.maybe)}?" if self.maybe else "")


# A fork gives the child a copy of the forking process's resident memory, and the kernel counts
# that copy in the child's ru_maxrss (exec or not, vfork too): forked from this process (the
# kubernetes client imported, audit records kept), `true` would report ~70 MiB. So doit is
# started, timed and reaped by this small launcher, a bare Python whose own ~12 MiB is the floor.
LAUNCHER = """\
import json, os, subprocess, sys, time
with open(sys.argv[1], "w") as out, open(sys.argv[2], "w") as err:
    start = time.perf_counter()
    child = subprocess.Popen(sys.argv[3:], stdout=out, stderr=err)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
child.returncode = os.waitstatus_to_exitcode(status)
print(json.dumps({"seconds": seconds, "max_rss_kib": usage.ru_maxrss,
                  "returncode": child.returncode}))
"""


def measured(command: list[str], env: dict[str, str], timeout: float) -> tuple[float, int, DoitResult]:
    """Run ``command`` (through :data:`LAUNCHER`): its wall seconds, its ru_maxrss (KiB, from
    ``os.wait4``) and its output. A run over ``timeout`` seconds is killed with its process
    group, and so is one interrupted."""
    with tempfile.TemporaryDirectory(prefix="bench-scale-run-") as folder:
        out, err = Path(folder) / "stdout", Path(folder) / "stderr"
        launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER, str(out), str(err), *command],
                                    cwd=REPO, env=env, stdout=subprocess.PIPE, text=True,
                                    start_new_session=True)
        try:
            said, _ = launcher.communicate(timeout=timeout)
        except BaseException:  # the timeout, or Ctrl-C: doit and its workers too
            with contextlib.suppress(ProcessLookupError):
                os.killpg(launcher.pid, signal.SIGKILL)
            launcher.wait()
            raise
        if launcher.returncode != 0:
            raise RuntimeError(f"the launcher failed ({launcher.returncode}): {said}")
        numbers = json.loads(said)
        result = DoitResult(int(numbers["returncode"]), out.read_text(), err.read_text())
    seconds, max_rss = float(numbers["seconds"]), int(numbers["max_rss_kib"])
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}) after {seconds:.1f} s:"
                           f"\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return seconds, max_rss, result


# -- the audit log -------------------------------------------------------------------------------
class Audit:
    """The tool user's requests in the API server's audit log between two moments."""

    def __init__(self, cluster: Cluster, log: Path, source: str | None) -> None:
        self.cluster = cluster
        self.log = log
        self.source = source  # the address the tool's runs come from (None: any)

    def begin(self) -> tuple[int, datetime]:
        return self.log.stat().st_size, datetime.now(UTC)

    def _flush(self, offset: int) -> None:
        """Every request answered so far is in the file once a marked request of ours is."""
        mark = secrets.token_hex(8)
        self.cluster.core().list_namespace(label_selector=f"{MARK_LABEL}={mark}")

        def seen() -> bool:
            with self.log.open("rb") as log:
                log.seek(offset)
                return mark.encode() in log.read()
        wait_for(seen, timeout=10, interval=0.02, what="the audit log's mark")

    def requests(self, since: tuple[int, datetime],
                 namespace: str) -> tuple[list[dict[str, Any]], int, list[dict[str, Any]], int]:
        """The tool's requests from :attr:`source` received since ``since``: (those about
        ``namespace``, and the cluster-wide ones unless another run of the tool from there was
        active; how many it made about other namespaces meanwhile; the cluster-wide ones made
        while another run was active, which may be that run's; how many requests of the tool's
        user came from other addresses, i.e. others' runs)."""
        offset, started = since
        ended = datetime.now(UTC)
        self._flush(offset)
        with self.log.open("rb") as log:
            log.seek(offset)
            data = log.read()
        ours: list[dict[str, Any]] = []
        wide: list[dict[str, Any]] = []
        others = foreign = 0
        seen: set[str] = set()
        for line in data.splitlines():
            if not line.strip():
                continue
            event: dict[str, Any] = json.loads(line)
            if (event.get("user") or {}).get("username") != TOOL_USER:
                continue
            # A long-running request (a pod's log, a watch) has two lines, ResponseStarted and
            # ResponseComplete, with one auditID: one request.
            request_id = str(event.get("auditID"))
            if request_id in seen:
                continue
            seen.add(request_id)
            received = datetime.fromisoformat(str(event.get("requestReceivedTimestamp")))
            if not started <= received <= ended:
                continue
            if self.source is not None and self.source not in (event.get("sourceIPs") or []):
                foreign += 1
                continue
            record = record_of(event)
            # the tool, not another program with its kubeconfig (a benchmark's kubectl, Skaffold)
            tool = str(event.get("userAgent") or "").startswith(TOOL_AGENT)
            if record["resource"] == "namespaces" and not record["subresource"]:
                about = record["name"]  # (a create names it, its namespace is unset)
            else:
                about = record["namespace"]
            if about == namespace:
                ours.append(record)
            elif tool and about:
                others += 1
            elif tool:  # cluster-wide: discovery, nodes...
                wide.append(record)
        if others:
            return ours, others, wide, foreign
        return ours + wide, 0, [], foreign


# -- one app -------------------------------------------------------------------------------------
@dataclass
class ScaleApp:
    root: Path
    name: str
    services: int
    registry: Registry
    kubeconfig: Path

    @property
    def apps(self) -> Path:
        return self.root / "apps"

    def write(self) -> None:
        """The services of bench_deploy (testing/bench.py: ``Workspace.web`` with props and
        map secrets): the prebuilt test image, named as it is in the registry, nothing to build."""
        image = os.environ.get("HYSCALE_TEST_APP_IMAGE") or \
            f"{self.registry.host}/hyscale-tests/testapp:1.0"
        host, _, rest = image.partition("/")
        repository, _, tag = rest.rpartition(":")
        folder = self.apps / self.name
        folder.mkdir(parents=True)
        for index in range(1, self.services + 1):
            service = f"svc{index:02d}"
            spec = {"name": service, "image": {"registry": host, "name": repository, "tag": tag},
                    "props": {"INDEX": service}, "secrets": {"TOKEN": f"bench-{service}"},
                    "ports": [{"port": "8080/http"}]}
            (folder / f"{service}.hspec").write_text(yaml.safe_dump(spec, sort_keys=False))
        write_docker_config(self.root / "docker-config",
                            {self.registry.host: (self.registry.user, self.registry.password)})

    def env(self) -> dict[str, str]:
        env = as_users_run_it({k: v for k, v in os.environ.items() if k not in SCRUBBED})
        env.update(HYSCALE_HOME=str(self.root / "hyscale-home"),
                   DOCKER_CONFIG=str(self.root / "docker-config"), KUBECONFIG=str(self.kubeconfig))
        return env

    def deploy_command(self, *extra: str) -> list[str]:
        return [sys.executable, "-m", "doit", "-f", str(REPO / "dodo.py"), f"apps={self.apps}",
                f"app={self.name}", *extra, "deploy"]


@dataclass
class Size:
    services: int
    namespace: str
    first: Run
    pods_running: int
    noops: list[Run]
    versions: list[Run]

    @property
    def noop_s(self) -> float:
        return statistics.median(r.seconds for r in self.noops)

    @property
    def version_s(self) -> float:
        return statistics.median(r.seconds for r in self.versions)

    @property
    def noop_rss(self) -> int:
        return int(statistics.median(r.max_rss_kib for r in self.noops))

    @property
    def version_rss(self) -> int:
        return int(statistics.median(r.max_rss_kib for r in self.versions))

    @property
    def noop_reads(self) -> int:
        """The reads of the last no-op run (the report notes runs that differ)."""
        return len(self.noops[-1].reads)

    @property
    def noop_writes(self) -> int:
        return max(len(r.writes) for r in self.noops)


def running_pods(cluster: Cluster, namespace: str) -> int:
    """Pods of the namespace that run with every container ready (not being deleted)."""
    _, body = cluster.raw("GET", f"/api/v1/namespaces/{namespace}/pods")
    count = 0
    for pod in body.get("items", []):
        status = pod.get("status") or {}
        containers = status.get("containerStatuses") or []
        if status.get("phase") == "Running" and containers and \
                all(c.get("ready") for c in containers) and \
                not (pod.get("metadata") or {}).get("deletionTimestamp"):
            count += 1
    return count


def delete_namespace(cluster: Cluster, namespace: str) -> None:
    """Delete the namespace and wait until it is gone (pods included), so the next size's runs do
    not share the machine with its ending pods."""
    with contextlib.suppress(Exception):
        cluster.core().delete_namespace(namespace)

    def gone() -> bool:
        status, _ = cluster.raw("GET", f"/api/v1/namespaces/{namespace}")
        return status == 404
    try:
        wait_for(gone, timeout=240, interval=1, what=f"namespace {namespace} to go")
    except AssertionError as exc:
        say(f"  (namespace {namespace} still there: {exc}; going on)")


def own_address(kubeconfig: Path, folder: Path, node_ip: str | None) -> tuple[Path, str | None]:
    """A copy of the tool's kubeconfig that reaches the API server at the node's address instead
    of 127.0.0.1 (the server listens on every address and its certificate names the node's), so
    that the audit log tells this benchmark's requests (source address: the node's) from those
    of the tests and benchmarks others run at the same time (127.0.0.1): (its path, the address).
    Without a node address, or for a server elsewhere, the kubeconfig as it is (and None)."""
    config = yaml.safe_load(kubeconfig.read_text())
    moved = False
    for cluster in config.get("clusters") or []:
        server = str((cluster.get("cluster") or {}).get("server") or "")
        if node_ip and server.startswith(("https://127.0.0.1:", "https://localhost:")):
            cluster["cluster"]["server"] = f"https://{node_ip}:{server.rsplit(':', 1)[1]}"
            moved = True
    if not moved:
        return kubeconfig, None
    copy = folder / "tool-kubeconfig"
    copy.touch(mode=0o600)
    copy.write_text(yaml.safe_dump(config))
    return copy, node_ip


def measure_size(services: int, workdir: Path, cluster: Cluster, audit: Audit,
                 registry: Registry, kubeconfig: Path) -> Size:
    app = ScaleApp(workdir / f"size{services}", f"scale-{services}-{secrets.token_hex(3)}",
                   services, registry, kubeconfig)
    cluster.track(app.name)  # deleted at the end if anything goes wrong
    app.write()
    env = app.env()
    timeout = 120.0 + 15.0 * services

    say(f"{services} services: first deploy (doit -n {JOBS} deploy) into {app.name} ...")
    mark = audit.begin()
    seconds, rss, result = measured(app.deploy_command("-n", str(JOBS)), env, timeout)
    first = Run(seconds, rss, result, *audit.requests(mark, app.name))
    pods = running_pods(cluster, app.name)
    say(f"  {seconds:.1f} s, {len(first.reads)} reads, {len(first.writes)} writes, "
        f"{pods}/{services} pods running, max RSS {rss / 1024:.0f} MiB")

    noops: list[Run] = []
    versions: list[Run] = []
    for n in range(REPEAT):
        seconds, rss, result = measured([sys.executable, "-m", "doit", "--version"], env, 60)
        versions.append(Run(seconds, rss, result))
        mark = audit.begin()
        seconds, rss, result = measured(app.deploy_command(), env, timeout)
        noops.append(Run(seconds, rss, result, *audit.requests(mark, app.name)))
        run = noops[-1]
        say(f"  no-op {n + 1}/{REPEAT}: {seconds * 1000:.0f} ms (doit --version "
            f"{versions[-1].seconds * 1000:.0f} ms), {len(run.reads)} reads, {len(run.writes)} "
            f"writes, {len(result.executed)} tasks ran, max RSS {rss / 1024:.0f} MiB")

    say(f"  deleting namespace {app.name} (untimed) ...")
    delete_namespace(cluster, app.name)
    return Size(services, app.name, first, pods, noops, versions)


# -- the report ----------------------------------------------------------------------------------
def table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True))
             for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def request_kind(record: dict[str, Any]) -> str:
    """``verb resource[/subresource]`` (``dry-run`` marked), or the path of a non-resource URL."""
    what = record["resource"] + ("/" + record["subresource"] if record["subresource"] else "")
    return f"{record['action']}{' dry-run' if 'dryRun' in record['query'] else ''} " \
        f"{what or record['path']}"


def grown_reads(small: Size, large: Size) -> str:
    """The first deploy's reads whose count per service grew from ``small`` to ``large``."""
    def per_service(size: Size) -> dict[str, float]:
        kinds = Counter(request_kind(r) for r in size.first.reads)
        return {kind: count / size.services for kind, count in kinds.items()}
    before, after = per_service(small), per_service(large)
    grown = sorted(((after[k] - before.get(k, 0.0), k) for k in after), reverse=True)
    return ", ".join(f"{kind} {before.get(kind, 0.0):.2f} -> {after[kind]:.2f}"
                     for diff, kind in grown if diff >= 0.1) or "none"


def request_summary(run: Run) -> str:
    """The requests of a run grouped as ``verb resource``, most frequent first."""
    kinds: Counter[str] = Counter()
    failed: dict[str, Counter[int]] = {}
    discovery: Counter[str] = Counter()  # non-resource URLs: /version, /apis, /api/v1, /apis/g/v
    for r in run.requests:
        if not r["resource"]:
            discovery[r["path"]] += 1
            continue
        kind = request_kind(r)
        kinds[kind] += 1
        if not 200 <= r["code"] < 300:
            failed.setdefault(kind, Counter())[r["code"]] += 1
    parts = [f"{kind} x{count}" + (" (" + ", ".join(f"{code}: {n}" for code, n in
                                                    sorted(failed[kind].items())) + ")"
                                   if kind in failed else "")
             for kind, count in kinds.most_common()]
    if discovery:
        # a full API discovery reads /apis once and each group version once
        sets = discovery["/apis"]
        extra = ", ".join(f"{path} x{n - sets}" for path, n in sorted(discovery.items())
                          if n > sets)
        parts.append(f"discovery GETs x{sum(discovery.values())} ({sets} full discover"
                     f"{'y' if sets == 1 else 'ies'} of {len(discovery)} URLs"
                     + (f"; more: {extra}" if extra else "") + ")")
    return ", ".join(parts)


def growth(label: str, values: dict[int, float], unit: str) -> str:
    """One line: the doubling ratios against 2, the cost per added service, and the verdict."""
    steps = [(a, b) for a, b in itertools.pairwise(SIZES) if b == 2 * a]
    ratios = {b: values[b] / values[a] if values[a] else float("inf") for a, b in steps}
    added = {b: (values[b] - values[a]) / (b - a) for a, b in steps}
    parts = [f"{label}({b})/{label}({a}) = {ratios[b]:.2f}" for a, b in steps]
    increments = ", ".join(f"{a}->{b}: {added[b]:+.{1 if unit == 'ms' else 2}f} {unit}"
                           for a, b in steps)
    superlinear = [b for _, b in steps if ratios[b] > 2 * TOLERANCE]
    if superlinear:
        verdict = f"faster than linear from {superlinear[0] // 2} to {superlinear[0]} services"
    else:
        verdict = (f"no doubling costs more than 2x (+{(TOLERANCE - 1) * 100:.0f}%): linear or "
                   f"better up to {SIZES[-1]}")
    return f"  {label}: {'; '.join(parts)} (vs 2) -> {verdict}; added per service {increments}"


def report(sizes: list[Size], server: str, load: tuple[float, float, float], floor_kib: int,
           source: str | None) -> None:
    now = datetime.now().astimezone().isoformat(timespec="seconds")
    git = ["git", "-C", str(REPO)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run([*git, "status", "--porcelain", "--", "hyscale_tasks", "dodo.py"],
                           capture_output=True, text=True).stdout.splitlines()
    dirty = [line[3:] for line in dirty]
    print(f"bench_scale, {now}; nproc {len(os.sched_getaffinity(0))}; Python "
          f"{platform.python_version()} ({sys.executable}); Kubernetes {server} (test cluster); "
          f"load average {load[0]:.2f} at the start, {os.getloadavg()[0]:.2f} at the end")
    print(f"checkout {commit or '?'}" + (f" + uncommitted changes to {', '.join(dirty)}" if dirty
                                         else ", product code as committed"))
    print(f"first deploy: doit -n {JOBS} deploy, once, pods running at the end; no-op: doit deploy "
          f"(no -n), median of {REPEAT}, alternating with doit --version; requests: audit log, user "
          f"{TOOL_USER}" + (f" from {source}" if source else "") + ", the app's namespace + "
          f"cluster-wide, during the run; RSS: ru_maxrss from "
          f"os.wait4 (max over the doit process and its reaped workers; started by a launcher "
          f"whose own size, the floor, is {floor_kib / 1024:.1f} MiB)")
    print()
    rows = [["services", "first s", "pods running", "first reads", "first writes", "first RSS MiB",
             "no-op ms", "(min)", "--version ms", "ratio", "no-op reads", "no-op writes",
             "no-op RSS MiB", "--version RSS MiB"]]
    for s in sizes:
        rows.append([str(s.services), f"{s.first.seconds:.1f}", f"{s.pods_running}/{s.services}",
                     s.first.reads_cell(), str(len(s.first.writes)),
                     f"{s.first.max_rss_kib / 1024:.1f}",
                     f"{s.noop_s * 1000:.0f}", f"{min(r.seconds for r in s.noops) * 1000:.0f}",
                     f"{s.version_s * 1000:.0f}", f"{s.noop_s / s.version_s:.2f}x",
                     s.noops[-1].reads_cell(), str(s.noop_writes),
                     f"{s.noop_rss / 1024:.1f}", f"{s.version_rss / 1024:.1f}"])
    print(table(rows))
    print("(no-op reads, writes: the last no-op run's; +N?: cluster-wide requests made while another "
          "run of the tool was active, maybe its, left out of the counts)")
    print()
    print("requests by verb (first deploy | last no-op):")
    for s in sizes:
        print(f"  {s.services:>2}: {s.first.by_verb()} | {s.noops[-1].by_verb()}")
    print()
    rows = [["services", "first s/svc", "first reads/svc", "first writes/svc", "no-op ms/svc",
             "(no-op - ver) ms/svc", "no-op reads/svc", "no-op RSS KiB/svc"]]
    for s in sizes:
        rows.append([str(s.services), f"{s.first.seconds / s.services:.2f}",
                     f"{len(s.first.reads) / s.services:.2f}",
                     f"{len(s.first.writes) / s.services:.2f}",
                     f"{s.noop_s * 1000 / s.services:.1f}",
                     f"{(s.noop_s - s.version_s) * 1000 / s.services:.1f}",
                     f"{s.noop_reads / s.services:.2f}",
                     f"{(s.noop_rss - s.version_rss) / s.services:.0f}"])
    print("per service:")
    print(table(rows))
    print()
    by = {s.services: s for s in sizes}
    if all(size in by for size in SIZES):
        print("growth (a ratio above 2 per doubling is faster than linear; a fixed cost per run "
              "keeps a linear one below 2):")
        print(growth("first_time", {n: by[n].first.seconds * 1000 for n in SIZES}, "ms"))
        print(growth("first_reads", {n: float(len(by[n].first.reads)) for n in SIZES}, "reads"))
        print(growth("first_writes", {n: float(len(by[n].first.writes)) for n in SIZES}, "writes"))
        print(growth("noop_time", {n: by[n].noop_s * 1000 for n in SIZES}, "ms"))
        print(growth("noop_time-version", {n: (by[n].noop_s - by[n].version_s) * 1000
                                           for n in SIZES}, "ms"))
        print(growth("noop_reads", {n: float(by[n].noop_reads) for n in SIZES}, "reads"))
        print(growth("noop_rss", {n: by[n].noop_rss / 1024 for n in SIZES}, "MiB"))
        print(f"  first-deploy reads per service that grew from {SIZES[0]} to {SIZES[-1]} services: "
              f"{grown_reads(by[SIZES[0]], by[SIZES[-1]])}")
        print()
    print("requests of the first deploy and of the last no-op, by verb and resource:")
    for s in sizes:
        print(f"  {s.services:>2} first: {request_summary(s.first)}")
        print(f"  {s.services:>2} no-op: {request_summary(s.noops[-1]) or 'none'}")
    notes = []
    for s in sizes:
        counts = sorted({(len(r.reads), len(r.writes)) for r in s.noops})
        if len(counts) > 1:
            notes.append(f"{s.services} services: the no-op runs' (reads, writes) differ: {counts}")
        ran = [task for r in s.noops for task in r.result.executed]
        if ran:
            notes.append(f"{s.services} services: tasks ran in no-op runs: {sorted(set(ran))}")
        if s.pods_running != s.services:
            notes.append(f"{s.services} services: only {s.pods_running} pods running after the "
                         "first deploy")
        others = s.first.others + sum(r.others for r in s.noops)
        if others:
            maybe = sum(len(r.maybe) for r in [s.first, *s.noops])
            notes.append(f"{s.services} services: the tool made {others} requests about other "
                         "namespaces from this benchmark's address during these runs (someone "
                         "else ran it the same way at the same time): "
                         + (f"{maybe} cluster-wide requests of those windows may be theirs, "
                            "shown as +N? and left out of the counts" if maybe else
                            "none was cluster-wide, so the counts are the app's own"))
        foreign = s.first.foreign + sum(r.foreign for r in s.noops)
        if foreign:
            notes.append(f"{s.services} services: the machine was shared: {foreign} requests of "
                         f"{TOOL_USER} from other addresses (others' tests and benchmarks) came "
                         "during these runs; they are not counted, but they slowed the timings")
    if notes:
        print()
        print("notes:")
        for note in notes:
            print(f"  {note}")


def main() -> int:
    try:
        env = KubeEnv.from_env()
        registry = Registry.from_env()
    except Exception as exc:  # the services are not up
        print(f"{exc}\n(see the docstring of benchmarks/bench_scale.py)", file=sys.stderr)
        return 2
    if env.audit_log is None:
        print("HYSCALE_TEST_AUDIT_LOG is not set: this benchmark counts requests in the test "
              "cluster's audit log", file=sys.stderr)
        return 2
    started = time.perf_counter()
    load = os.getloadavg()
    floor_kib = measured(["true"], dict(os.environ), 30)[1]
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as folder:
        cluster = Cluster(env, Path(folder))
        try:
            _, version = cluster.raw("GET", "/version")
            server = str(version.get("gitVersion", "?")) if isinstance(version, dict) else "?"
            kubeconfig, source = own_address(cluster.kubeconfig, Path(folder), env.node_ip)
            audit = Audit(cluster, env.audit_log, source)
            sizes = [measure_size(n, Path(folder), cluster, audit, registry, kubeconfig)
                     for n in SIZES]
        finally:
            cluster.close()
    say(f"done in {time.perf_counter() - started:.0f} s")
    report(sizes, server, load, floor_kib, source)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
