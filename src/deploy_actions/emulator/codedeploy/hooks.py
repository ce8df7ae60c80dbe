"""Run one lifecycle hook script the way the CodeDeploy agent does, and describe the outcome.

The result's `diagnostics` is the dict GetDeploymentTarget/GetDeploymentInstance return for the
event: errorCode (Success, ScriptMissing, ScriptNotExecutable, ScriptTimedOut, ScriptFailed),
scriptName, message and logTail - the last 2048 characters of the hook's output, each line tagged
`[stdout]` or `[stderr]` in the order it was written, after `LifecycleEvent - X` and `Script - Y`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from deploy_actions.emulator.codedeploy.appspec import HookScript

LOG_TAIL_CHARS = 2048  # what the agent keeps of a script's output


@dataclass
class HookOutcome:
    succeeded: bool
    diagnostics: dict[str, str]


class HookLog:
    """The lines of one lifecycle event (all its scripts), as the agent's script log keeps them."""

    def __init__(self, event: str) -> None:
        self.lines: list[str] = []
        self.times: list[int] = []  # when each line was written, ms since the epoch (shipped to Logs)
        self.event = event

    def add(self, line: str) -> None:
        self.lines.append(line)
        self.times.append(int(time.time() * 1000))

    def tail(self) -> str:
        text = "".join(line if line.endswith("\n") else line + "\n" for line in self.lines)
        return text[-LOG_TAIL_CHARS:]


def diagnostics(code: str, script: str, message: str, log: HookLog) -> dict[str, str]:
    return {"errorCode": code, "scriptName": script, "message": message, "logTail": log.tail()}


def run_script(script: HookScript, archive: Path, cwd: Path, env: dict[str, str], log: HookLog,
               forced_exit_code: int | None = None) -> HookOutcome:
    """Run one script of the event; `forced_exit_code` is fault injection: the script runs, then fails."""
    log.add(f"Script - {script.location}")
    path = archive / script.location.lstrip("/")
    if not path.is_file():
        message = f"Script does not exist at specified location: {path}"
        return HookOutcome(False, diagnostics("ScriptMissing", script.location, message, log))
    if not os.access(path, os.X_OK):
        # The agent makes a non-executable script executable and says so in the log.
        log.add(f"[stderr]Script at specified location: {script.location} is not executable. "
                "Trying to make it executable.")
        try:
            path.chmod(path.stat().st_mode | 0o111)
        except OSError:
            message = f"Script at specified location: {script.location} is not executable."
            return HookOutcome(False, diagnostics("ScriptNotExecutable", script.location, message, log))
    code = _run(path, cwd, env, log, timeout=script.timeout)
    if code is None:
        message = f"Script at specified location: {script.location} failed to complete in {script.timeout} seconds"
        return HookOutcome(False, diagnostics("ScriptTimedOut", script.location, message, log))
    if code == 0 and forced_exit_code is not None:
        log.add(f"[stderr]emulator: injected failure of {log.event}, exit code {forced_exit_code}")
        code = forced_exit_code
    if code != 0:
        message = (f"Script at specified location: {script.location} run as user {script.runas} "
                   f"failed with exit code {code}")
        return HookOutcome(False, diagnostics("ScriptFailed", script.location, message, log))
    return HookOutcome(True, diagnostics("Success", script.location, "Succeeded", log))


def _start(path: Path, cwd: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    # ETXTBSY: another thread's fork can hold a just-written script open for writing until its exec;
    # the agent on a real instance never races itself like this, so wait the moment out.
    for attempt in range(50):
        try:
            return subprocess.Popen([str(path)], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        except OSError as error:
            if error.errno != errno.ETXTBSY or attempt == 49:
                raise
            time.sleep(0.02)
    raise AssertionError("unreachable")


def _run(path: Path, cwd: Path, env: dict[str, str], log: HookLog, timeout: float) -> int | None:
    """Exit code, or None on timeout (then the script's whole process group is killed)."""
    process = _start(path, cwd, env)
    assert process.stdout is not None and process.stderr is not None
    selector = selectors.DefaultSelector()
    streams = {process.stdout.fileno(): "stdout", process.stderr.fileno(): "stderr"}
    partial = {"stdout": b"", "stderr": b""}
    for fd in streams:
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    exited_at: float | None = None

    def read_ready(wait: float) -> bool:
        got = False
        for key, _ in selector.select(wait):
            fd = int(key.fd)
            with contextlib.suppress(BlockingIOError):
                chunk = os.read(fd, 65536)
                if not chunk:
                    selector.unregister(fd)
                    continue
                got = True
                name = streams[fd]
                data = partial[name] + chunk
                *lines, partial[name] = data.split(b"\n")
                for line in lines:
                    log.add(f"[{name}]{line.decode(errors='replace')}")
        return got

    while selector.get_map():
        if exited_at is None and process.poll() is not None:
            exited_at = time.monotonic()
        # A background process the script started may hold the pipes open: once the script itself
        # exited, read what is there and stop waiting (the agent would hang until the timeout).
        if exited_at is not None and time.monotonic() - exited_at > 0.2:
            break
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            _drain_in_background(selector, process)
            return None
        read_ready(0.05)
    for name, rest in partial.items():
        if rest:
            log.add(f"[{name}]{rest.decode(errors='replace')}")
    code = process.wait(timeout=max(deadline - time.monotonic(), 0.1))
    _drain_in_background(selector, process)
    return code


def _drain_in_background(selector: selectors.BaseSelector, process: subprocess.Popen[bytes]) -> None:
    """Keep reading pipes still held by background processes, so they never die of SIGPIPE."""
    remaining = [int(key.fd) for key in selector.get_map().values()]
    selector.close()
    if not remaining:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        process.stderr.close()
        return

    def drain() -> None:
        for fd in remaining:
            os.set_blocking(fd, True)
        with selectors.DefaultSelector() as waiting:
            for fd in remaining:
                waiting.register(fd, selectors.EVENT_READ)
            while waiting.get_map():
                for key, _ in waiting.select():
                    if not os.read(int(key.fd), 65536):
                        waiting.unregister(key.fd)
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        process.stderr.close()

    threading.Thread(target=drain, name="hook-pipe-drain", daemon=True).start()
