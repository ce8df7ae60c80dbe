"""Running a builder's steps: argv only, output streamed line by line as text we do not control."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Mapping

from deploy_actions.core.errors import DeploymentFailed
from deploy_actions.core.platform import Reporter
from deploy_actions.core.waiting import CancellationToken
from deploy_actions.image.builders import Step

TAIL = 30


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
    tail: list[str] = []
    captured: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        if step.capture:
            captured.append(line)
            continue
        text = line.rstrip("\n")
        reporter.untrusted(text)
        tail = [*tail[-(TAIL - 1):], text]
    errors = process.stderr.read() if process.stderr else ""
    code = process.wait()
    cancel.raise_if_cancelled(f"during {step.what}")
    if step.capture:
        step.capture.write_text("".join(captured), encoding="utf-8")
        tail = errors.splitlines()[-TAIL:]
    if code != 0 and not step.check:
        reporter.warning(f"{step.what} failed (exit {code}); going on")
        return
    if code != 0:
        shown = "\n".join(f"  {printable_line}" for printable_line in tail)
        raise DeploymentFailed(f"{step.what} failed (exit {code}):\n{shown}")


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
