"""A builder's output reaches the log as it comes, defused, in few batches; a failing step shows its tail."""

from __future__ import annotations

import io
import sys
from pathlib import Path

from deploy_actions.core.errors import DeploymentFailed
from deploy_actions.core.platform import GitHubReporter
from deploy_actions.core.waiting import CancellationToken
from deploy_actions.image.builders import Step
from deploy_actions.image.process import run_step

SCRIPT = """
import sys, time
for i in range(500):
    print(f"line {i}")
print("::set-output name=digest::sha256:forged")
print("token hunter2hunter2 in a RUN step")
sys.stdout.flush()
sys.exit(int(sys.argv[1]))
"""


def _run(code: int) -> tuple[str, BaseException | None]:
    out = io.StringIO()
    reporter = GitHubReporter(out, {})
    reporter.mask("hunter2hunter2")
    try:
        run_step(Step("build", [sys.executable, "-c", SCRIPT, str(code)]), {}, reporter, CancellationToken())
    except DeploymentFailed as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def test_output_is_shown_in_batches_with_workflow_commands_defused_and_secrets_redacted() -> None:
    log, error = _run(0)
    assert error is None
    assert "  | line 0\n" in log and "  | line 499\n" in log
    assert log.count("::stop-commands::") <= 10  # batches, not one pair of markers per line
    forged = [line for line in log.splitlines() if "set-output" in line and not line.startswith("$ ")]
    assert forged and all(line.startswith("  | ") for line in forged)  # inside stop-commands, indented
    assert "hunter2hunter2" not in log.split("\n", 1)[1]  # the first line registers the mask with GitHub


def test_a_failing_step_raises_with_the_last_lines() -> None:
    _, error = _run(3)
    assert isinstance(error, DeploymentFailed)
    assert "build failed (exit 3)" in str(error) and "line 499" in str(error) and "line 400" not in str(error)


def test_a_failing_cleanup_step_only_warns() -> None:
    out = io.StringIO()
    run_step(Step("remove the list", [sys.executable, "-c", "raise SystemExit(1)"], check=False), {},
             GitHubReporter(out, {}), CancellationToken())
    assert "::warning::remove the list failed (exit 1); going on" in out.getvalue()


def test_a_capturing_step_keeps_its_output_out_of_the_log(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    out = io.StringIO()
    program = "print('[' + chr(34) + 'r@sha256:1' + chr(34) + ']')"
    run_step(Step("read digest", [sys.executable, "-c", program], capture=target), {}, GitHubReporter(out, {}),
             CancellationToken())
    assert target.read_text() == '["r@sha256:1"]\n'
    assert '["r@sha256:1"]' not in out.getvalue()
