"""Lifecycle hook output shipped to CloudWatch Logs, where a log scan after the deployment finds it.

A deployment group tagged `emulator:hook-log-group` ships each event's lines as the CodeDeploy agent's
deployment log reaches CloudWatch through the CloudWatch agent: one stream per instance, each line
`[time] [deployment id]` followed by what the agent logs (`LifecycleEvent - X`, `Script - Y`,
`[stdout]...`, `[stderr]...`).
"""

from __future__ import annotations

import re
from typing import Any

from tests.integration.emulator.conftest import EXAMPLE_APP, Environment

VALIDATE = (EXAMPLE_APP / "scripts/validate.sh").read_text().replace(
    "set -u\n", 'set -u\necho "healthcheck: 503, retrying"\necho "ERROR boom"\necho "warming up" >&2\n', 1)


def test_a_log_scan_finds_what_the_hooks_printed(environment: Any, emulator: Any, unique: str) -> None:
    group = f"/codedeploy/t{unique}"
    env: Environment = environment("ec2-rolling", instances=1, group={"auto_rollback": [], "hook_log_group": group})

    info = env.deploy(env.revision("1", {"scripts/validate.sh": VALIDATE}))
    assert info["status"] == "Succeeded", env.failure(info)
    (target,) = env.targets(info["deploymentId"])
    logs = emulator.client("logs")

    def scan(pattern: str) -> list[tuple[str, str]]:
        events = logs.filter_log_events(logGroupName=group, filterPattern=pattern)["events"]
        return [(e["logStreamName"], e["message"]) for e in events]

    prefix = re.compile(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] \[" + info["deploymentId"] + r"\]")
    errors = scan("?ERROR ?FATAL")
    assert [(stream, prefix.sub("", message)) for stream, message in errors] == [
        (target["targetId"], "[stdout]ERROR boom")]
    assert prefix.match(errors[0][1])
    assert [prefix.sub("", m) for _, m in scan('"healthcheck:"')] == ["[stdout]healthcheck: 503, retrying"]
    assert [prefix.sub("", m) for _, m in scan('"[stderr]"')] == ["[stderr]warming up"]
    validate = [prefix.sub("", m) for _, m in scan('"LifecycleEvent - ValidateService"')]
    assert validate == ["LifecycleEvent - ValidateService"]
    # -healthcheck leaves out the health-check line and nothing else: the event's lines in the order the agent
    # logged them (stdout and stderr are two pipes: no order between them)
    everything = [prefix.sub("", m) for _, m in scan("")]
    lines = [prefix.sub("", m) for _, m in scan("-healthcheck")]
    assert lines == [line for line in everything if "healthcheck" not in line]
    assert len(lines) == len(everything) - 1
    validate = [line for line in lines[lines.index("LifecycleEvent - ValidateService"):] if "stderr" not in line]
    assert validate[:4] == ["LifecycleEvent - ValidateService", "Script - scripts/validate.sh", "[stdout]ERROR boom",
                            "[stdout]health: ok"]


def test_tagging_a_group_later_ships_the_next_deployment(environment: Any, emulator: Any, unique: str) -> None:
    env: Environment = environment("ec2-rolling", instances=1, group={"auto_rollback": []})
    group = f"/codedeploy/t{unique}-later"
    arn = f"arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:{env['application']}/{env['deployment_group']}"
    env.codedeploy.tag_resource(ResourceArn=arn, Tags=[{"Key": "emulator:hook-log-group", "Value": group}])
    info = env.deploy(env.revision("1", {"scripts/validate.sh": VALIDATE}))
    assert info["status"] == "Succeeded", env.failure(info)
    found = emulator.client("logs").filter_log_events(logGroupName=group, filterPattern="boom")["events"]
    assert [e["message"].endswith("[stdout]ERROR boom") for e in found] == [True]
