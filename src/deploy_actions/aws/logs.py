"""CloudWatch Logs: events of a log group matching a filter pattern, within a time window."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from deploy_actions.core.aws import aws_failure, error_code
from deploy_actions.core.errors import InputError


@dataclass(frozen=True)
class LogEvent:
    timestamp: int  # milliseconds since the epoch
    stream: str
    message: str


def check_log_group(logs: Any, group: str) -> None:
    """InputError (exit 2) when the log group does not exist in this account and region."""
    try:
        pages = logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=group)
        for page in pages:
            if any(g.get("logGroupName") == group for g in page.get("logGroups", [])):
                return
    except (ClientError, BotoCoreError) as exc:
        if error_code(exc) == "InvalidParameterException":
            raise InputError.single("log-group", group, "not a valid log group name") from None
        raise aws_failure(f"looking up log group {group}", exc) from None
    raise InputError.single("log-group", group, "no such log group in this account and region; check the name "
                            "and the region")


def filter_events(logs: Any, group: str, pattern: str, start_ms: int, end_ms: int, limit: int) -> tuple[
        list[LogEvent], bool]:
    """Up to `limit` matching events, oldest first, and whether there were more. The pattern goes to CloudWatch
    as written (its filter pattern syntax)."""
    query: dict[str, Any] = {"logGroupName": group, "startTime": start_ms, "endTime": end_ms}
    if pattern:
        query["filterPattern"] = pattern
    found: list[LogEvent] = []
    try:
        for page in logs.get_paginator("filter_log_events").paginate(**query):
            for event in page.get("events", []):
                if len(found) >= limit:
                    return found, True
                found.append(LogEvent(int(event.get("timestamp", 0)), str(event.get("logStreamName", "")),
                                      str(event.get("message", ""))))
    except (ClientError, BotoCoreError) as exc:
        code = error_code(exc)
        if code == "ResourceNotFoundException":
            raise InputError.single("log-group", group, "no such log group in this account and region") from None
        if code == "InvalidParameterException":
            raise InputError.single("log-filter", pattern, f"CloudWatch refused it: {exc}") from None
        raise aws_failure(f"searching log group {group}", exc) from None
    return found, False
