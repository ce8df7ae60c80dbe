"""The wording of the service events the engine writes (DescribeServices' `events`), as AWS words them."""

from __future__ import annotations

from collections.abc import Sequence

from deploy_actions.emulator.ecs.model import Task


def _subject(service: str, task_set: str | None) -> str:
    return f"(service {service}, taskSet {task_set})" if task_set else f"(service {service})"


def _listed(tasks: Sequence[Task]) -> str:
    return " ".join(f"(task {t.id})" for t in tasks) + "."


def tasks_started(service: str, tasks: Sequence[Task], task_set: str | None = None) -> str:
    return f"{_subject(service, task_set)} has started {len(tasks)} tasks: " + _listed(tasks)


def tasks_stopped(service: str, tasks: Sequence[Task], task_set: str | None = None) -> str:
    return f"{_subject(service, task_set)} has stopped {len(tasks)} running tasks: " + _listed(tasks)


def targets_changed(service: str, verb: str, count: int, group_arn: str) -> str:
    """`verb` is registered or deregistered."""
    return f"(service {service}) {verb} {count} targets in (target-group {group_arn})"


def task_unhealthy(service: str, task: Task, group_arn: str, reason: str) -> str:
    return (f"(service {service}) (task {task.id}) (port {task.port}) is unhealthy in (target-group "
            f"{group_arn}) due to (reason {reason}).")


def rolling_back(service: str, failed: str, to: str) -> str:
    return f"(service {service}) (deployment {failed}) rolling back to deployment {to}."


def deployment_failed(service: str, deployment: str, why: str) -> str:
    return f"(service {service}) (deployment {deployment}) deployment failed: {why}."


def deployment_completed(service: str, deployment: str) -> str:
    return f"(service {service}) (deployment {deployment}) deployment completed."


def steady_state(service: str) -> str:
    return f"(service {service}) has reached a steady state."
