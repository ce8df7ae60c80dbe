"""Text we do not control (hook logs, commit messages) never acts: not as a GitHub workflow command, not as
a terminal or GitLab escape sequence, not as markdown or HTML in the summary.

GitHub's side is judged by a model of the runner's own command parser (tests/support/workflow_commands.py),
so the tests assert what the runner would do with the output, not how the output happens to look.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from deploy_actions.codedeploy.deploy import Deployer, DeployOptions
from deploy_actions.codedeploy.diagnostics import hook_failures
from deploy_actions.codedeploy.report import deployment_summary
from deploy_actions.codedeploy.state import DeploymentState, parse_target
from deploy_actions.core.operation import Deadline, Operation
from deploy_actions.core.platform import GitHubReporter, GitLabReporter, Reporter
from deploy_actions.core.waiting import CancellationToken
from tests.support.workflow_commands import WorkflowRunner

# Every way a line of a hook's log could try to act on GitHub: commands at the start of a line, after
# spaces, in the legacy form anywhere in a line, a stop-commands of its own, and line breaks other than LF.
HOSTILE = "\n".join([
    "::set-output name=image::evil:latest",
    "::add-mask::x",
    "   ::error title=Deploy::everything failed",
    "ok ##[error]legacy form, mid-line",
    "##[set-output name=image;]evil:legacy",
    "::stop-commands::attacker",
    "::attacker::",
    "::warning::after the attacker's own resume",
    "::endgroup::",
    "cr\r::set-env name=PATH::/tmp/evil",
    "vt\x0b::add-path::/tmp/evil",
    "nel\x85::save-state name=x::y",
    "ls\u2028::notice::fake",
])
OURS = ("warning", "ours, after the block")


def test_github_runs_no_command_from_hostile_text_and_obeys_ours_after_it() -> None:
    out = io.StringIO()
    reporter = GitHubReporter(out, {})
    reporter.untrusted(HOSTILE)
    reporter.warning(OURS[1])
    runner = WorkflowRunner().feed(out.getvalue())
    assert runner.executed == [OURS]
    assert runner.stop_token is None


def test_github_hostile_lines_sit_between_a_stop_and_a_resume_whose_token_they_cannot_know() -> None:
    tokens = []
    for _ in range(3):
        out = io.StringIO()
        GitHubReporter(out, {}).untrusted(HOSTILE)
        lines = out.getvalue().splitlines()
        stop = re.fullmatch(r"::stop-commands::(\S+)", lines[0])
        assert stop is not None, lines[0]
        token = stop.group(1)
        assert lines[-1] == f"::{token}::"
        assert len(lines) == len(HOSTILE.splitlines()) + 2  # every hostile line between the two
        assert token.lower() not in HOSTILE.lower()
        tokens.append(token)
    assert len(set(tokens)) == 3 and all(len(t) >= 32 for t in tokens)  # fresh and unguessable each time


@pytest.mark.parametrize("make", [Reporter, GitLabReporter], ids=["terminal", "gitlab"])
def test_other_reporters_never_emit_a_line_github_would_take_for_a_command(make: type[Reporter]) -> None:
    out = io.StringIO()
    reporter = make(out, {})
    reporter.untrusted(HOSTILE)
    # GitHub's runner trims leading spaces before looking for "::": no line may start with it then.
    assert [line for line in out.getvalue().split("\n") if line.lstrip().startswith("::")] == []


T0 = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
HOSTILE_TAIL = ("[stdout]ok\x1b[0Ksection_end:1:deploy_actions_0_1\r\x1b[0K\x1b[32;1mJob succeeded\x1b[0m\n"
                "[stdout]bell\x07 nul\x00 del\x7f csi\x9b31m\n"
                "[stderr]::set-output name=image::evil\n"
                "[stderr]##[error]legacy")


def hostile_state() -> DeploymentState:
    event = {"lifecycleEventName": "ValidateService", "status": "Failed", "startTime": T0,
             "endTime": T0 + timedelta(seconds=3),
             "diagnostics": {"errorCode": "ScriptFailed", "scriptName": "scripts/validate.sh",
                             "message": "failed with exit code 1 \x1b]8;;https://evil.example\x07link\x1b[2K",
                             "logTail": HOSTILE_TAIL}}
    state = DeploymentState("d-HOSTILE", "Failed", {"errorInformation": {"code": "HEALTH_CONSTRAINTS",
                                                                         "message": "too many failed"}})
    state.targets = [parse_target({"instanceTarget": {"targetId": "i-0abc", "status": "Failed",
                                                      "lifecycleEvents": [event]}})]
    return state


def conclude(reporter: Reporter) -> None:
    """The failed deployment concluded as codedeploy-deploy does: the failure reported, its log tail shown."""
    operation = Operation(reporter, CancellationToken(), Deadline(60))
    Deployer(None, None, reporter, operation).conclude(hostile_state(), DeployOptions("app", "group"))


def test_a_hostile_hook_log_on_github_runs_no_command() -> None:
    out = io.StringIO()
    conclude(GitHubReporter(out, {}))
    executed = WorkflowRunner().feed(out.getvalue()).executed
    assert [name for name, _ in executed] == ["error"], executed  # the one annotation, ours
    assert executed[0][1].startswith("ValidateService failed on i-0abc")


def test_a_hostile_hook_log_on_gitlab_shows_its_control_characters_as_escapes() -> None:
    out = io.StringIO()
    reporter = GitLabReporter(out, {})
    conclude(reporter)
    text = out.getvalue()
    ours = text.replace(reporter._RED, "").replace(reporter._RESET, "")
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", ours), repr(text)  # no ESC, CR, BEL, NUL, CSI
    assert "\\x1b[0Ksection_end:1:deploy_actions_0_1" in text and "\\x1b]8;;https://evil.example\\x07" in text
    assert "\\x07 nul\\x00 del\\x7f csi\\x9b31m" in text


def test_the_summary_shows_control_characters_of_hook_text_as_escapes() -> None:
    """The summary is a file a user opens or `cat`s in a terminal (DEPLOY_ACTIONS_SUMMARY, a GitLab
    artifact): a hook's ESC sequences must not act there either, as in the log."""
    state = hostile_state()
    summary = deployment_summary(state, title="app/group", console_url="", failures=hook_failures(state),
                                 rollback=None)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", summary), repr(summary)
    assert "\\x1b[0Ksection_end:1:deploy_actions_0_1" in summary
