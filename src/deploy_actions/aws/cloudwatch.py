"""CloudWatch: the state of metric and composite alarms, read by name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from deploy_actions.core.aws import aws_failure
from deploy_actions.core.errors import InputError

BATCH = 100  # DescribeAlarms takes at most 100 names


def alarm_states(cw: Any, names: Sequence[str], *, input_name: str = "alarms") -> dict[str, str]:
    """Each alarm's StateValue (OK, ALARM, INSUFFICIENT_DATA), by name, in the order given.

    An alarm CloudWatch does not know is the user's to fix: InputError naming `input_name` (exit 2).
    """
    wanted = list(dict.fromkeys(names))
    states: dict[str, str] = {}
    for start in range(0, len(wanted), BATCH):
        batch = wanted[start:start + BATCH]
        try:
            pages = cw.get_paginator("describe_alarms").paginate(
                AlarmNames=batch, AlarmTypes=["MetricAlarm", "CompositeAlarm"])
            for page in pages:
                for alarm in [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]:
                    states[str(alarm["AlarmName"])] = str(alarm.get("StateValue", ""))
        except (ClientError, BotoCoreError) as exc:
            raise aws_failure("reading CloudWatch alarms", exc) from None
    missing = [name for name in wanted if name not in states]
    if missing:
        raise InputError.single(input_name, "\n".join(missing), "no such CloudWatch alarm in this account and "
                                "region; check the name (one per line, exact case) and the region")
    return {name: states[name] for name in wanted}
