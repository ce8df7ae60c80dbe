from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deploy_actions.codedeploy.diagnostics import hook_failures
from deploy_actions.codedeploy.report import deployment_summary, gantt, targets_table
from deploy_actions.codedeploy.state import DeploymentState, parse_target

T0 = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)


def event(name: str, status: str, start: int, end: int, **diagnostics: str) -> dict[str, object]:
    return {"lifecycleEventName": name, "status": status, "startTime": T0 + timedelta(seconds=start),
            "endTime": T0 + timedelta(seconds=end), **({"diagnostics": diagnostics} if diagnostics else {})}


def failed_state() -> DeploymentState:
    ok = {"instanceTarget": {"targetId": "i-111", "status": "Succeeded", "lifecycleEvents": [
        event("BeforeInstall", "Succeeded", 0, 2), event("ValidateService", "Succeeded", 2, 5)]}}
    bad = {"instanceTarget": {"targetId": "i-222", "status": "Failed", "instanceLabel": "Green", "lifecycleEvents": [
        event("BeforeInstall", "Succeeded", 5, 6),
        event("ValidateService", "Failed", 6, 9, errorCode="ScriptFailed", scriptName="scripts/validate.sh",
              message="Script at specified location: scripts/validate.sh run as user root failed with exit code 7",
              logTail="[stdout]checking http://127.0.0.1:8080/health\n[stderr]curl: (7) refused | <b>"),
    ]}}
    state = DeploymentState("d-ABC", "Failed", {"errorInformation": {"code": "HEALTH_CONSTRAINTS",
                                                                     "message": "too many failed"}})
    state.targets = [parse_target(ok), parse_target(bad)]
    return state


def test_failures_name_target_hook_script_code_and_log_tail() -> None:
    (failure,) = hook_failures(failed_state())
    assert failure.headline() == ("ValidateService failed on i-222 (replacement fleet) running scripts/validate.sh "
                                  "[ScriptFailed]: Script at specified location: scripts/validate.sh run as user "
                                  "root failed with exit code 7")
    assert failure.log_tail.endswith("curl: (7) refused | <b>")


def test_gantt_marks_the_failed_event() -> None:
    chart = gantt(failed_state())
    start = int(T0.timestamp() * 1000)
    assert chart.startswith("```mermaid\ngantt\n")
    assert f"    ValidateService :crit, {start + 6000}, {start + 9000}" in chart
    assert f"    BeforeInstall :done, {start}, {start + 2000}" in chart
    assert "    section i-222 replacement" in chart


def test_summary_table_escapes_hostile_log_text() -> None:
    import io
    import re

    from markdown_it import MarkdownIt

    from deploy_actions.codedeploy.deploy import Deployer, DeployOptions
    from deploy_actions.core.operation import Deadline, Operation
    from deploy_actions.core.platform import GitLabReporter
    from deploy_actions.core.waiting import CancellationToken

    hostile_tail = ("[stdout]ok\x1b[0Ksection_end:1:deploy_actions_0_1\r\x1b[0K\x1b[32;1mJob succeeded\x1b[0m\n"
                    "[stderr]```\n<img src=x onerror=alert(1)>\n| `i-999` | forged | ✅ Succeeded | — | 1s |\n"
                    "</details><b>bold</b> [click](https://evil.example) ![x](https://evil.example/x.png)\n"
                    "[stdout]a CR starts a line for some readers\r```\n[stdout]x\r<img src=z onerror=alert(3)>")
    state = failed_state()
    bad = {"instanceTarget": {"targetId": "i-222", "status": "Failed", "instanceLabel": "Green", "lifecycleEvents": [
        event("BeforeInstall", "Succeeded", 5, 6),
        event("ValidateService", "Failed", 6, 9, errorCode="ScriptFailed", scriptName="scripts/validate.sh",
              message="exit 7 <img src=y onerror=alert(2)> \x1b[2K| cell", logTail=hostile_tail)]}}
    state.targets[1] = parse_target(bad)

    # The log (GitLab's, where ESC [0K section_end would close our section): control characters shown as
    # \xNN escapes, none of them acting; only our own colour codes are real escape sequences.
    out = io.StringIO()
    reporter = GitLabReporter(out, {})
    Deployer(None, None, reporter, Operation(reporter, CancellationToken(), Deadline(60))).conclude(
        state, DeployOptions("api", "prod"))
    log = out.getvalue()
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", log.replace(reporter._RED, "").replace(reporter._RESET, ""))
    assert "\\x1b[0Ksection_end:1:deploy_actions_0_1" in log and "\\x1b[32;1mJob succeeded" in log
    assert "exit 7 <img src=y onerror=alert(2)> \\x1b[2K| cell" in log  # a log is text: shown, not run

    # The summary, as GitHub renders it (raw HTML allowed): no hostile element, link, image or table row.
    text = deployment_summary(state, title="api/prod", console_url="https://console/d-ABC",
                              failures=hook_failures(state), rollback=None)
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(text)
    assert "### ❌ codedeploy-deploy: api/prod — Failed" in text
    assert "| `i-222` | replacement | ❌ Failed | ValidateService | 4s |" in text
    assert html.count("<tr>") == 3  # the header and our two targets: the forged row stays text
    assert not re.search(r"<(img|b|script)\b", html), html
    assert re.findall(r"<a href=\"([^\"]*)\"", html) == ["https://console/d-ABC"], html
    assert html.count("</details>") == 1  # the log tail cannot close our details block early
    assert "onerror=alert(1)" in html and "onerror=alert(2)" in html and "onerror=alert(3)" in html  # as text


def test_summary_shows_hostile_hook_text_as_text() -> None:
    hostile = {"instanceTarget": {"targetId": "i-333", "status": "Failed", "lifecycleEvents": [
        event("ApplicationStart", "Failed", 0, 1, errorCode="ScriptFailed", scriptName="start.sh",
              message="![pwned](https://evil.example/x.png) [click](https://evil.example) `code`",
              logTail="```\n# Deployment succeeded\n```"),
    ]}}
    state = DeploymentState("d-XYZ", "Failed", {})
    state.targets = [parse_target(hostile)]
    text = deployment_summary(state, title="api/prod", console_url="", failures=hook_failures(state), rollback=None)
    assert r"\!\[pwned\](https://evil.example/x.png) \[click\](https://evil.example) \`code\`" in text
    assert "![pwned]" not in text
    # The log tail stays inside its fence: a ``` in it cannot close the block and start markdown.
    fenced = text.split("```text\n", 1)[1].split("\n```", 1)[0]
    assert "# Deployment succeeded" in fenced and "```" not in fenced


def test_a_finished_deployment_shows_no_pending_rows() -> None:
    # Stopped: the instance it cut short, one it never reached - even if read as Pending/InProgress/Ready.
    rows = [("i-444", "InProgress", [event("BeforeInstall", "Succeeded", 0, 1)]),
            ("i-555", "Pending", [{"lifecycleEventName": "BeforeInstall", "status": "Pending"}]),
            ("i-666", "Ready", [event("ValidateService", "Succeeded", 1, 2)])]
    state = DeploymentState("d-STOP", "Stopped", {"errorInformation": {"code": "MANUAL_STOP",
                                                                       "message": "The deployment was stopped"}})
    state.targets = [parse_target({"instanceTarget": {"targetId": i, "status": s, "lifecycleEvents": e}})
                     for i, s, e in rows]
    text = deployment_summary(state, title="api/prod", console_url="", failures=hook_failures(state), rollback=None)
    assert "Pending" not in text and "InProgress" not in text and "Ready" not in text
    assert "| `i-555` | — | ↷ Skipped | — | — |" in text
    assert "| `i-444` | — | ❌ Failed | — | 1s |" in text
    assert r"MANUAL\_STOP: the deployment was stopped (StopDeployment: console, CLI or another pipeline)" in text
    # While it runs, the table shows what CodeDeploy says.
    state.status = "InProgress"
    assert "⏳ InProgress" in targets_table(state) and " Pending |" in targets_table(state)
