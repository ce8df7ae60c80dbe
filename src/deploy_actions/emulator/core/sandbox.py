"""Instances as local sandboxes: a directory tree, a loopback address and port, and processes.

Each EC2 instance the emulator deploys to gets a root directory (the appspec's `destination: /opt/app`
lands in `<root>/opt/app`), its own loopback IP (127.77.x.y) and a free TCP port on it that stands
for the target group's traffic port. Every process a hook starts carries `EMULATOR_SANDBOX_MARK`
in its environment, so the emulator can find and end them all - even daemons that left the
hook's process group - when the instance is terminated or the emulator stops.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

MARK_VARIABLE = "EMULATOR_SANDBOX_MARK"


@dataclass
class Sandbox:
    instance_id: str
    root: Path
    ip: str
    port: int
    mark: str = field(default_factory=lambda: secrets.token_hex(8))
    # Archive of the last revision that succeeded here: ApplicationStop and the *BlockTraffic hooks
    # run from it, as the CodeDeploy agent does.
    last_archive: Path | None = None

    def environment(self) -> dict[str, str]:
        """The documented emulator variables every hook sees (besides CodeDeploy's own)."""
        return {
            "EMULATOR_INSTANCE_ID": self.instance_id,
            "EMULATOR_INSTANCE_ROOT": str(self.root),
            "EMULATOR_INSTANCE_IP": self.ip,
            "EMULATOR_INSTANCE_PORT": str(self.port),
            MARK_VARIABLE: self.mark,
        }

    def processes(self) -> list[int]:
        return _pids_with(f"{MARK_VARIABLE}={self.mark}".encode())

    def kill_processes(self, grace: float = 2.0) -> None:
        _terminate(self.processes(), grace)


def _pids_with(marker: bytes) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
    return found


def _terminate(pids: list[int], grace: float) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [pid for pid in alive if _alive(pid)]
    for pid in alive:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie is gone for our purpose; its parent reaps it


def free_port(ip: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((ip, 0))
        return int(probe.getsockname()[1])


class Fleet:
    """All sandboxes of one emulator, created on first use of an instance id."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._sandboxes: dict[str, Sandbox] = {}
        self._lock = threading.Lock()
        # A random second octet keeps two emulators in one machine (or CI job) off each other's IPs.
        self._network = 64 + secrets.randbelow(64)

    def sandbox(self, instance_id: str) -> Sandbox:
        with self._lock:
            found = self._sandboxes.get(instance_id)
            if found is None:
                index = len(self._sandboxes) + 1
                ip = f"127.{self._network}.{index // 250}.{index % 250 + 2}"
                root = self.root / "instances" / instance_id
                root.mkdir(parents=True, exist_ok=True)
                found = Sandbox(instance_id, root, ip, free_port(ip))
                self._sandboxes[instance_id] = found
            return found

    def known(self, instance_id: str) -> Sandbox | None:
        with self._lock:
            return self._sandboxes.get(instance_id)

    def all(self) -> list[Sandbox]:
        with self._lock:
            return list(self._sandboxes.values())

    def terminate(self, instance_id: str) -> None:
        sandbox = self.known(instance_id)
        if sandbox is not None:
            sandbox.kill_processes()

    def close(self) -> None:
        pids = [pid for sandbox in self.all() for pid in sandbox.processes()]
        _terminate(pids, grace=2.0)
