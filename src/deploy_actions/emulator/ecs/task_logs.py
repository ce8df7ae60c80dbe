"""A task's awslogs driver: its log group checked before it starts, its lines shipped to CloudWatch Logs."""

from __future__ import annotations

import contextlib

from deploy_actions.emulator.ecs.model import Task
from deploy_actions.emulator.ecs.tasks import DockerContainer
from deploy_actions.emulator.logs import shipping


def _destination(task: Task, region: str) -> shipping.AwslogsDestination | None:
    return shipping.awslogs_destination(task.container, task.id, region)


def missing_group(task: Task, region: str, account: str) -> str | None:
    """None, or the stoppedReason of a task whose awslogs group is missing (no awslogs-create-group)."""
    destination = _destination(task, region)
    if destination is None:
        return None
    try:
        destination.ship([], account=account)
    except shipping.LogGroupMissing:
        return shipping.MISSING_GROUP_REASON
    return None


def ship(task: Task, lines: list[str], region: str, account: str) -> None:
    destination = _destination(task, region)
    if destination is not None and lines:
        with contextlib.suppress(shipping.LogGroupMissing):
            destination.ship(lines, account=account)


def ship_container_logs(task: Task, container: DockerContainer, region: str, account: str) -> None:
    destination = _destination(task, region)
    if destination is not None:
        with contextlib.suppress(shipping.LogGroupMissing):
            destination.ship_events(container.logs(), account=account)
