"""A second, isolated Docker engine that a test may SIGKILL (test-infra §1.4).

It has its own socket, data-root, exec-root and pid file under one short folder, and its **own
bridge** (``--bridge=<ours> --iptables=false --ip-masq=false``). Never ``--bridge=none``: that
makes dockerd delete the host's ``docker0`` and breaks the system engine (test-infra §0).
Needs root (dockerd, ``ip link``). :meth:`SecondDaemon.close` stops it and removes everything it
made: the processes it started (found by our folder in their command line, ended by pid), the
mounts under our folder, the bridge and the folder.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Self


def _ip(*args: str, check: bool = True) -> str:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True).stdout


def _alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (dead, not yet reaped) counts as gone."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _free_subnet() -> ipaddress.IPv4Network:
    """A /24 in 172.31.200.0-172.31.250.0 that no interface or route on this host uses."""
    used = _ip("-4", "-o", "addr", "show") + _ip("-4", "route", "show")
    for third in range(200, 251):
        candidate = ipaddress.IPv4Network(f"172.31.{third}.0/24")
        if f"172.31.{third}." not in used:
            return candidate
    raise RuntimeError("no free 172.31.x.0/24 for the second daemon's bridge")


class SecondDaemon:
    """``dockerd`` on ``unix://<root>/docker.sock`` with its own bridge; see the module doc."""

    def __init__(self) -> None:
        if os.geteuid() != 0:
            raise RuntimeError("a second dockerd needs root (scripts/test runs as root in CI)")
        # Short: unix sockets under the exec-root must stay below ~107 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="hyd-", dir="/tmp"))
        self.bridge = f"brhyt{os.getpid() % 100000}"
        self.subnet = _free_subnet()
        self.log = self.root / "dockerd.log"
        self.process: subprocess.Popen[bytes] | None = None
        _ip("link", "add", self.bridge, "type", "bridge")
        gateway = next(self.subnet.hosts())
        _ip("addr", "add", f"{gateway}/{self.subnet.prefixlen}", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")

    @property
    def socket(self) -> Path:
        return self.root / "docker.sock"

    @property
    def url(self) -> str:
        """The ``DOCKER_HOST`` value for this engine."""
        return f"unix://{self.socket}"

    def start(self, timeout: float = 60) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                ["dockerd", "-H", self.url, "--data-root", str(self.root / "data"),
                 "--exec-root", str(self.root / "exec"), "--pidfile", str(self.root / "docker.pid"),
                 f"--bridge={self.bridge}", "--iptables=false", "--ip-masq=false"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the second dockerd exited:\n{self.log.read_text()[-3000:]}")
            if self.answers():
                return
            time.sleep(0.1)
        raise RuntimeError(f"the second dockerd did not answer:\n{self.log.read_text()[-3000:]}")

    def answers(self) -> bool:
        import docker

        try:
            client = docker.DockerClient(base_url=self.url, timeout=2)
            try:
                return bool(client.ping())
            finally:
                client.close()
        except Exception:
            return False

    def kill(self) -> None:
        """SIGKILL dockerd itself (its containerd and shims live on, as after a real crash)."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=30)
        # dockerd's containerd dies with it (parent-death signal) but, reparented to an init
        # that may reap late, can linger as a zombie; a restarted dockerd would then take the
        # pid file's zombie for a live containerd and wait for it forever.
        pid_file = self.root / "exec" / "containerd" / "containerd.pid"
        with contextlib.suppress(OSError, ValueError):
            pid = int(pid_file.read_text().strip())
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and _alive(pid):
                time.sleep(0.05)
            pid_file.unlink()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)

    def _our_processes(self) -> list[int]:
        """Processes whose command line names our folder: our dockerd's containerd and shims."""
        found = []
        marker = str(self.root).encode()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            with contextlib.suppress(OSError):
                if marker in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
        return found

    def close(self) -> None:
        self.stop()
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = self._our_processes()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + 10
            while pids and time.monotonic() < deadline and self._our_processes():
                time.sleep(0.1)
        mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()
                  if line.split()[1].startswith(str(self.root))]
        for mount in sorted(mounts, key=len, reverse=True):
            subprocess.run(["umount", "-l", mount], check=False, capture_output=True)
        _ip("link", "del", self.bridge, check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
