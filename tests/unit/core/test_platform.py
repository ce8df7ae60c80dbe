from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from deploy_actions.core.platform import GitHubReporter, GitLabReporter, Reporter, detect_reporter


def test_detects_the_ci_from_its_environment() -> None:
    assert isinstance(detect_reporter({"GITHUB_ACTIONS": "true"}), GitHubReporter)
    assert isinstance(detect_reporter({"GITLAB_CI": "true"}), GitLabReporter)
    assert type(detect_reporter({})) is Reporter
    assert isinstance(detect_reporter({"DEPLOY_ACTIONS_PLATFORM": "gitlab", "GITHUB_ACTIONS": "true"}),
                      GitLabReporter)


def test_github_groups_annotations_and_masks() -> None:
    out = io.StringIO()
    reporter = GitHubReporter(out, {})
    reporter.mask("s3cr3t-token")
    with reporter.group("Upload"):
        reporter.info("using s3cr3t-token now")
    reporter.error("hook failed: 50%\nsecond line", title="ValidateService", file="appspec.yml", line=12)
    lines = out.getvalue().splitlines()
    assert lines[0] == "::add-mask::s3cr3t-token"
    assert lines[1] == "::group::Upload"
    assert lines[2] == "using *** now"
    assert lines[4] == "::endgroup::"
    assert lines[5] == ("::error title=ValidateService,file=appspec.yml,line=12::"
                        "hook failed: 50%25%0Asecond line")


def test_github_untrusted_text_cannot_issue_commands() -> None:
    from tests.support.workflow_commands import WorkflowRunner  # a model of the runner's command parser

    hostile = ("::set-output name=x::pwned\n::add-mask::y\n  ::error::indented\nok ##[error]legacy, mid-line\n"
               "::stop-commands::mine\n::mine::\n::warning::after the attacker's own resume")
    out = io.StringIO()
    reporter = GitHubReporter(out, {})
    reporter.untrusted(hostile)
    reporter.warning("ours")
    lines = out.getvalue().splitlines()
    token = re.fullmatch(r"::stop-commands::(\S+)", lines[0])
    assert token is not None and len(token.group(1)) >= 32 and token.group(1) not in hostile
    # Every hostile line sits between the stop and the resume, which the hostile text cannot name.
    assert lines.index(f"::{token.group(1)}::") == len(hostile.splitlines()) + 1
    again = io.StringIO()
    GitHubReporter(again, {}).untrusted(hostile)
    assert again.getvalue().splitlines()[0] != lines[0]  # a fresh token each time: no text can know it
    # What the runner does with it: nothing of the hostile text, and our own command after it.
    assert WorkflowRunner().feed(out.getvalue()).executed == [("warning", "ours")]
    # A plain log has no runner around it, but still never a line that starts a command.
    plain = io.StringIO()
    Reporter(plain, {}).untrusted(hostile)
    assert [line for line in plain.getvalue().splitlines() if line.lstrip().startswith("::")] == []


def test_gitlab_collapsible_sections_and_colored_errors() -> None:
    out = io.StringIO()
    reporter = GitLabReporter(out, {})
    with reporter.group("Build archive"):
        reporter.info("inside")
    reporter.error("boom")
    text = out.getvalue()
    assert re.search(r"\x1b\[0Ksection_start:\d+:(deploy_actions_0_\d+)\[collapsed=true\]\r\x1b\[0KBuild archive", text)
    assert re.search(r"\x1b\[0Ksection_end:\d+:deploy_actions_0_\d+\r\x1b\[0K", text)
    assert "\x1b[31;1mERROR: boom\x1b[0m" in text


def test_a_live_gitlab_section_stays_open() -> None:
    out = io.StringIO()
    reporter = GitLabReporter(out, {})
    with reporter.group("Deployment d-1", live=True):
        reporter.info("  i-1 BeforeInstall started")
    assert re.search(r"section_start:\d+:deploy_actions_0_\d+\r\x1b\[0KDeployment d-1", out.getvalue())
    assert "collapsed" not in out.getvalue()


def test_gitlab_hostile_log_cannot_close_sections_or_fake_lines() -> None:
    out = io.StringIO()
    reporter = GitLabReporter(out, {})
    hostile = "ok\x1b[0Ksection_end:1:deploy_actions_0_1\r\x1b[0K\x1b[32;1mJob succeeded\x1b[0m"
    with reporter.group("Deployment"):
        reporter.untrusted(hostile)
        reporter.error(f"ValidateService failed\n{hostile}")
    text = out.getvalue()
    assert text.count("\x1b[0Ksection_end:") == 1  # ours; the hostile ones are shown as text
    assert "\\x1b[0Ksection_end:1:deploy_actions_0_1\\x0d\\x1b[0K\\x1b[32;1mJob succeeded" in text
    assert "\x1b[32;1m" not in text and "\r\x1b[0K\x1b[32" not in text


def test_terminal_redacts_multiline_secrets_and_writes_summary(tmp_path: Path) -> None:
    out = io.StringIO()
    summary = tmp_path / "summary.md"
    reporter = Reporter(out, {"DEPLOY_ACTIONS_SUMMARY": str(summary)})
    reporter.mask("first-line-secret\nsecond-line-secret")
    reporter.info("a second-line-secret b")
    reporter.summary("| x | first-line-secret |")
    assert "a *** b" in out.getvalue()
    assert summary.read_text() == "| x | *** |\n\n"
    assert f"Summary written to {summary}" in out.getvalue()


def test_github_summary_goes_to_step_summary_file(tmp_path: Path) -> None:
    target = tmp_path / "step-summary"
    GitHubReporter(io.StringIO(), {"GITHUB_STEP_SUMMARY": str(target)}).summary("### done")
    assert target.read_text() == "### done\n\n"


@pytest.mark.parametrize(("environ", "shown"), [
    ({}, False),
    ({"RUNNER_DEBUG": "1"}, True),
    ({"ACTIONS_STEP_DEBUG": "true"}, True),
    ({"ACTIONS_STEP_DEBUG": "false"}, False),
    ({"DEPLOY_ACTIONS_DEBUG": "1"}, True),
    ({"DEPLOY_ACTIONS_DEBUG": "0"}, False),
])
def test_debug_follows_the_switches_github_knows_and_ours(environ: dict[str, str], shown: bool) -> None:
    out = io.StringIO()
    reporter = Reporter(out, environ)
    reporter.mask("hunter2-secret")
    reporter.debug("calling with hunter2-secret")
    assert ("debug: calling with ***" in out.getvalue()) is shown
    assert "hunter2-secret" not in out.getvalue()


def test_the_session_token_is_masked_like_the_secret_key(tmp_path: Path) -> None:
    from deploy_actions.core.aws import make_clients
    from deploy_actions.core.inputs import AwsInputs

    out = io.StringIO()
    reporter = GitHubReporter(out, {})
    env = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret-key-value",
           "AWS_SESSION_TOKEN": "session-token-value", "AWS_REGION": "us-east-1"}
    make_clients(AwsInputs(), reporter, env)
    assert "::add-mask::secret-key-value" in out.getvalue() and "::add-mask::session-token-value" in out.getvalue()
    reporter.info("token session-token-value and key secret-key-value")
    assert out.getvalue().splitlines()[-1] == "token *** and key ***"


@pytest.mark.parametrize(("reporter", "first", "then"), [
    (Reporter, "error: ValidateService failed on i-1; its last log lines:", "         | curl: (7) refused"),
    (GitLabReporter, "\x1b[31;1mERROR: ValidateService failed on i-1; its last log lines:\x1b[0m",
     "\x1b[31;1m         | curl: (7) refused\x1b[0m"),
])
def test_a_multi_line_error_reads_as_one_block_under_its_tag(reporter: type[Reporter], first: str, then: str) -> None:
    out = io.StringIO()
    reporter(out, {}).error("ValidateService failed on i-1; its last log lines:\n  | curl: (7) refused")
    assert out.getvalue().splitlines() == [first, then]
