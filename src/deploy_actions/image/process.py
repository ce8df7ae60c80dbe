"""Running a builder's steps: argv only, output streamed as text we do not control.

Lines are shown as they come, gathered for up to FLUSH seconds: on GitHub each batch sits between one pair of
stop-commands markers (a line of build output cannot set an output or a mask), not each line between its own.
"""

from __future__ import annotations

import queue
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping

from deploy_actions.core.errors import DeploymentFailed
from deploy_actions.core.platform import Reporter
from deploy_actions.core.waiting import CancellationToken
from deploy_actions.image.builders import Step

TAIL = 30
FLUSH = 0.5  # seconds a line may wait to be shown with the ones after it
BATCH = 200  # lines shown at once at most


def run_step(step: Step, environ: Mapping[str, str], reporter: Reporter, cancel: CancellationToken) -> None:
    """Run one step; its output goes to the log (secrets redacted, workflow commands defused) or, for a
    capturing step, to its file. DeploymentFailed (exit 1) with the output's tail when it fails."""
    reporter.info("$ " + " ".join(_shown(arg) for arg in step.argv))
    env = {**environ, **step.env}
    try:
        process = subprocess.Popen(step.argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE if step.capture else subprocess.STDOUT, text=True,
                                   errors="replace", bufsize=1)
    except OSError as exc:
        raise DeploymentFailed(f"{step.what}: could not start {step.argv[0]}: {exc}") from None
    # A cancelled job stops its builder at once, even one silent in a long RUN step.
    threading.Thread(target=_stop_on_cancel, args=(process, cancel), daemon=True).start()
    assert process.stdout is not None
    if step.capture:
        captured = process.stdout.read()
        tail: list[str] = []
    else:
        tail = _stream(process.stdout, reporter)
    errors = process.stderr.read() if process.stderr else ""
    code = process.wait()
    cancel.raise_if_cancelled(f"during {step.what}")
    if step.capture:
        step.capture.write_text(captured, encoding="utf-8")
        tail = errors.splitlines()[-TAIL:]
    if code != 0 and not step.check:
        reporter.warning(f"{step.what} failed (exit {code}); going on")
        return
    if code != 0:
        shown = "\n".join(f"  {printable_line}" for printable_line in tail)
        raise DeploymentFailed(f"{step.what} failed (exit {code}):\n{shown}")


def _stream(output: Iterable[str], reporter: Reporter) -> list[str]:
    """Show the output in batches as it comes (no line waits more than FLUSH seconds); its last TAIL lines."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in output:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    tail: list[str] = []
    batch: list[str] = []
    due = 0.0  # when the batch's first line must be shown
    finished = False
    while not finished:
        try:
            line = lines.get(timeout=max(0.0, due - time.monotonic()) if batch else None)
        except queue.Empty:
            line = ""
        else:
            if line is None:
                finished = True
            else:
                if not batch:
                    due = time.monotonic() + FLUSH
                batch.append(line)
                tail = [*tail[-(TAIL - 1):], line]
        if batch and (finished or len(batch) >= BATCH or time.monotonic() >= due):
            reporter.untrusted("\n".join(batch))
            batch = []
    return tail


def _stop_on_cancel(process: subprocess.Popen[str], cancel: CancellationToken) -> None:
    while process.poll() is None:
        if cancel.sleep(0.2):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
            return


def _shown(arg: str) -> str:
    return arg if arg and all(c.isalnum() or c in "-_./:=,@+{}" for c in arg) else repr(arg)
