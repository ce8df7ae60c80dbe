"""Ship what emulated workloads print into CloudWatch Logs, as the awslogs driver or the agent would.

`ship(group, stream, lines)` writes each non-empty line as one event of `stream` in `group` (both
made when missing, unless `create_group=False`: then a missing group raises `LogGroupMissing`, as an
ECS task without `awslogs-create-group` fails to start). `ship_events` takes (timestamp ms, line)
pairs when each line has its own time. Events land in moto's Logs backend of the account and
region given, so FilterLogEvents, GetLogEvents and the tests see them at once.

For an ECS container, `awslogs_destination(container_definition, task_id, region)` reads its
`logConfiguration` as the awslogs driver does (`awslogs-group`, `awslogs-region`,
`awslogs-stream-prefix`, `awslogs-create-group`): the stream is `prefix/container-name/task-id`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.logs.models import logs_backends

MAX_MESSAGE_CHARS = 256 * 1024 - 26  # PutLogEvents: an event is at most 256 KB, 26 bytes of them overhead

_lock = threading.Lock()  # moto's log streams append without a lock of their own


class LogGroupMissing(LookupError):
    def __init__(self, group: str) -> None:
        super().__init__(f"ResourceNotFoundException: The specified log group does not exist: {group}")
        self.group = group


def now_ms() -> int:
    return int(time.time() * 1000)


def ship(group: str, stream: str, lines: Iterable[str], timestamp: int | None = None, *,
         account: str = DEFAULT_ACCOUNT_ID, region: str = "us-east-1", create_group: bool = True) -> int:
    """Ship `lines` stamped `timestamp` (ms since the epoch; now by default); returns how many events."""
    stamp = now_ms() if timestamp is None else timestamp
    return ship_events(group, stream, ((stamp, line) for line in lines),
                       account=account, region=region, create_group=create_group)


def ship_events(group: str, stream: str, events: Iterable[tuple[int, str]], *,
                account: str = DEFAULT_ACCOUNT_ID, region: str = "us-east-1", create_group: bool = True) -> int:
    batch = sorted(((stamp, line.rstrip("\r\n")[:MAX_MESSAGE_CHARS]) for stamp, line in events),
                   key=lambda event: event[0])
    batch = [(stamp, line) for stamp, line in batch if line]  # PutLogEvents refuses empty messages
    backend = logs_backends[account][region]
    with _lock:
        if group not in backend.groups:
            if not create_group:
                raise LogGroupMissing(group)
            backend.create_log_group(group, {})
        backend.ensure_log_stream(group, stream)
        if batch:
            backend.put_log_events(group, stream, [{"timestamp": stamp, "message": line} for stamp, line in batch])
    return len(batch)


# What a Fargate task that cannot create its log stream stops with (stoppedReason), the group being missing.
MISSING_GROUP_REASON = ("ResourceInitializationError: failed to validate logger args: create stream has been "
                        "retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: "
                        "The specified log group does not exist. : exit status 1")


@dataclass(frozen=True)
class AwslogsDestination:
    group: str
    stream: str
    region: str
    create_group: bool

    def ship(self, lines: Iterable[str], timestamp: int | None = None, *, account: str = DEFAULT_ACCOUNT_ID) -> int:
        return ship(self.group, self.stream, lines, timestamp, account=account, region=self.region,
                    create_group=self.create_group)

    def ship_events(self, events: Iterable[tuple[int, str]], *, account: str = DEFAULT_ACCOUNT_ID) -> int:
        return ship_events(self.group, self.stream, events, account=account, region=self.region,
                           create_group=self.create_group)


def awslogs_destination(container: dict[str, Any], task_id: str, region: str) -> AwslogsDestination | None:
    """Where the awslogs driver sends this container's output; None for another driver or none."""
    config = container.get("logConfiguration") or {}
    if config.get("logDriver") != "awslogs":
        return None
    options = config.get("options") or {}
    group = options.get("awslogs-group")
    if not group:
        return None
    prefix = options.get("awslogs-stream-prefix")
    name = str(container.get("name", ""))
    # With a prefix: prefix/container-name/task-id; without (EC2 launch type only) Docker names it by container id.
    stream = f"{prefix}/{name}/{task_id}" if prefix else task_id
    return AwslogsDestination(str(group), stream, str(options.get("awslogs-region") or region),
                              str(options.get("awslogs-create-group", "")).lower() == "true")
