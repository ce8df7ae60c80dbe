"""run-task: one task from the new definition (migrations) before any service changes; its exit code and
log tail decide whether the services are updated."""

from __future__ import annotations

import shlex
from typing import Any

from deploy_actions.aws import ecs as ecs_api
from deploy_actions.core.errors import InputError
from deploy_actions.core.operation import Interrupted, Operation
from deploy_actions.core.platform import Reporter
from deploy_actions.core.waiting import Cancelled, Poll, WaitTimeout
from deploy_actions.ecs.plan import Target
from deploy_actions.ecs.rollout import describe_stopped

LOG_LINES = 20


class TaskFollower:
    """Follows one task until it STOPPED (a core Follower)."""

    def __init__(self, ecs: Any, cluster: str, task_arn: str, reporter: Reporter) -> None:
        self.ecs = ecs
        self.cluster = cluster
        self.task_arn = task_arn
        self.reporter = reporter
        self.what = f"task {task_arn.rsplit('/', 1)[-1]}"
        self._status = ""

    def check(self) -> Poll[dict[str, Any]]:
        tasks = ecs_api.describe_tasks(self.ecs, self.cluster, [self.task_arn])
        if not tasks:
            return Poll.pending()
        task = tasks[0]
        status = str(task.get("lastStatus", ""))
        changed = status != self._status
        if changed:
            self._status = status
            self.reporter.info(f"  {self.what}: {status}")
        return Poll.finished(task) if status == "STOPPED" else Poll.pending(changed=changed, max_interval=5.0)

    def progress(self, elapsed: float) -> None:
        pass


def run_once(ecs: Any, logs: Any, op: Operation, reporter: Reporter, *, cluster: str, target: Target,
             command: str, container: str | None) -> str:
    """Run `command` in a task of target.arn; '' when it exited 0, else why it failed (with its log tail)."""
    definition = target.rendered
    names = [c["name"] for c in definition["containerDefinitions"]]
    chosen = container or next((c["name"] for c in definition["containerDefinitions"] if c.get("essential", True)),
                               names[0])
    if chosen not in names:
        raise InputError.single("run-task-container", chosen, f"no such container; its containers: {', '.join(names)}")
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise InputError.single("run-task", command, f"cannot split it into words: {exc}") from None
    service = target.service
    request: dict[str, Any] = {
        "cluster": cluster, "taskDefinition": target.arn, "count": 1, "startedBy": "deploy-actions",
        "overrides": {"containerOverrides": [{"name": chosen, "command": argv}]},
    }
    if service.get("networkConfiguration", {}).get("awsvpcConfiguration"):
        request["networkConfiguration"] = service["networkConfiguration"]
    if service.get("capacityProviderStrategy"):
        request["capacityProviderStrategy"] = service["capacityProviderStrategy"]
    elif service.get("launchType"):
        request["launchType"] = service["launchType"]
    with reporter.group(f"run-task: {command}", live=True):
        task = ecs_api.run_task(ecs, **request)
        reporter.info(f"Started {task['taskArn']} from {target.arn}")
        try:
            stopped = op.follow(TaskFollower(ecs, cluster, task["taskArn"], reporter))
        except (WaitTimeout, Cancelled) as exc:
            interruption = op.interruption(exc)  # stop (a one-off task has nothing to roll back), or leave it
            op.carry_out(interruption, f"the run-task task {task['taskArn']}",
                         lambda _rollback: ecs_api.stop_task(ecs, cluster, task["taskArn"], interruption.reason))
            raise Interrupted(f"{interruption.reason}; the services were not updated", interruption.exit_code) \
                from None
        tail = _log_tail(logs, definition, chosen, task["taskArn"])
        for line in tail:
            reporter.untrusted(f"  | {line}")
    code = next((c.get("exitCode") for c in stopped.get("containers") or [] if c.get("name") == chosen), None)
    if code == 0:
        reporter.info(f"run-task exited 0 ({command})")
        return ""
    why = f"run-task ({command}) exited {code}" if code is not None else (
        f"run-task ({command}) stopped without an exit code: {describe_stopped(stopped)}")
    if tail:
        why += "; its last log lines:\n" + "\n".join(f"  | {line}" for line in tail[-LOG_LINES:])
    return why


def _log_tail(logs: Any, definition: dict[str, Any], container: str, task_arn: str) -> list[str]:
    if logs is None:
        return []
    config = next((c.get("logConfiguration") or {} for c in definition["containerDefinitions"]
                   if c["name"] == container), {})
    options = config.get("options") or {}
    if config.get("logDriver") != "awslogs" or not options.get("awslogs-group"):
        return []
    prefix = options.get("awslogs-stream-prefix")
    task_id = task_arn.rsplit("/", 1)[-1]
    stream = f"{prefix}/{container}/{task_id}" if prefix else task_id
    try:
        return ecs_api.log_events(logs, options["awslogs-group"], stream, LOG_LINES)
    except Exception:  # the exit code decides; the log tail only explains
        return []
