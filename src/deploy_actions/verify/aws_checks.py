"""Checks that ask AWS: every target of a target group healthy, no alarm in ALARM, and the log scan."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from deploy_actions.aws.cloudwatch import alarm_states
from deploy_actions.aws.elbv2 import target_group, target_health
from deploy_actions.aws.logs import check_log_group, filter_events
from deploy_actions.verify.checks import Attempt, Check

SHOWN_LINES = 20  # matching log lines a failed scan shows


def target_group_arns(elbv2: Any, refs: Sequence[str]) -> dict[str, str]:
    """Name -> ARN for each name or ARN given, every one checked to exist (InputError naming target-groups
    otherwise). Checks are named by the group's name, also when given its ARN (switch-listener's outputs are
    ARNs): `target group web-green` reads better in a log, a summary and a chat message than the whole ARN."""
    found = [target_group(elbv2, ref, input_name="target-groups") for ref in refs]
    return {str(group.get("TargetGroupName") or group["TargetGroupArn"]): str(group["TargetGroupArn"])
            for group in found}


def target_group_check(elbv2: Any, name: str, arn: str) -> Check:
    def attempt() -> Attempt:
        started = time.monotonic()
        described = target_health(elbv2, arn)
        millis = (time.monotonic() - started) * 1000
        if not described:
            return Attempt(False, "no registered targets", millis)
        unhealthy = [d for d in described if d["TargetHealth"]["State"] != "healthy"]
        healthy = len(described) - len(unhealthy)
        if not unhealthy:
            return Attempt(True, f"{healthy}/{len(described)} targets healthy", millis)
        shown = ", ".join(f"{_target(d)} {d['TargetHealth']['State']}"
                          + (f" ({d['TargetHealth']['Reason']})" if d["TargetHealth"].get("Reason") else "")
                          for d in unhealthy[:5])
        more = f" and {len(unhealthy) - 5} more" if len(unhealthy) > 5 else ""
        return Attempt(False, f"{healthy}/{len(described)} targets healthy; {shown}{more}", millis)

    return Check(f"target group {name}", "target-group", attempt)


def _target(description: dict[str, Any]) -> str:
    target = description["Target"]
    return f"{target['Id']}:{target['Port']}" if target.get("Port") else str(target["Id"])


def alarm_checks(cloudwatch: Any, names: Sequence[str]) -> list[Check]:
    """One check per alarm, every name looked up first (an unknown alarm: InputError naming alarms)."""
    alarm_states(cloudwatch, names)
    return [alarm_check(cloudwatch, name) for name in dict.fromkeys(names)]


def alarm_check(cloudwatch: Any, name: str) -> Check:
    def attempt() -> Attempt:
        started = time.monotonic()
        state = alarm_states(cloudwatch, [name])[name]
        millis = (time.monotonic() - started) * 1000
        return Attempt(state != "ALARM", state, millis)

    return Check(f"alarm {name}", "alarm", attempt)


def log_scan(logs: Any, group: str, pattern: str, since_seconds: float, allowed: int) -> Check:
    """Fails when more than `allowed` events match in the window ending when the scan runs; shows the lines.
    The group is looked up first (an unknown one: InputError naming log-group)."""
    check_log_group(logs, group)

    def attempt() -> Attempt:
        started = time.monotonic()
        end = int(time.time() * 1000)
        start = end - int(since_seconds * 1000)
        events, more = filter_events(logs, group, pattern, start, end, limit=max(allowed + 1, SHOWN_LINES))
        millis = (time.monotonic() - started) * 1000
        count = f"more than {len(events)}" if more else str(len(events))
        lines = tuple(" ".join(e.message.split())[:500] for e in events[:SHOWN_LINES])
        ok = len(events) <= allowed
        detail = f"{count} matching events, at most {allowed} allowed"
        return Attempt(ok, detail, millis, lines=() if ok else lines, final=True)

    what = f" {pattern!r}" if pattern else ""
    return Check(f"logs {group}{what}", "logs", attempt, last=True)
