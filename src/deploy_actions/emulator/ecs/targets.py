"""A service task in its target groups: registered once RUNNING, deregistered when it stops (with the
group's deregistration delay), and its health as the scheduler counts it."""

from __future__ import annotations

from typing import Any

from deploy_actions.emulator.ecs import events
from deploy_actions.emulator.ecs.model import Task
from deploy_actions.emulator.ecs.service_run import Action, ServiceRun, target_groups
from deploy_actions.emulator.ecs.state import EcsState


class Targets:
    def __init__(self, state: EcsState) -> None:
        self.state = state

    def register_running(self, run: ServiceRun, task: Task, groups: list[tuple[str, int]],
                         actions: list[Action]) -> None:
        """A RUNNING task registers once in each of `groups` (target group ARN, container port or 0)."""
        if task.last_status != "RUNNING":
            return
        for group_arn, port in groups:
            if group_arn not in task.registered:
                task.registered.append(group_arn)
                actions.append(self._register(group_arn, task, port or task.port or 80))
                run.registered[group_arn] = run.registered.get(group_arn, 0) + 1

    def _register(self, group_arn: str, task: Task, port: int) -> Action:
        def register() -> None:
            self.state.client("elbv2").register_targets(TargetGroupArn=group_arn,
                                                        Targets=[{"Id": task.ip, "Port": port}])
        return register

    def deregister(self, group_arn: str, task: Task) -> Action:
        port = task.port

        def deregister() -> None:
            target: dict[str, Any] = {"Id": task.ip}
            if port is not None:
                target["Port"] = port
            self.state.client("elbv2").deregister_targets(TargetGroupArn=group_arn, Targets=[target])
        return deregister

    def deregistration_delay(self, group_arn: str) -> float:
        from moto.elbv2.models import elbv2_backends

        group = elbv2_backends[self.state.account][self.state.region].target_groups.get(group_arn)
        if group is None:
            return 0.0
        return float(str(group.attributes.get("deregistration_delay.timeout_seconds", 300)))

    def health(self, run: ServiceRun, task: Task, now: float) -> str:
        """'healthy', 'unhealthy' or 'pending' for the scheduler."""
        if not task.alive or task.last_status != "RUNNING":
            return "pending"
        deployment = next((d for d in run.deployments if task in d.tasks), None)
        if task.groups is not None:
            groups = list(task.groups)
        elif deployment is not None and deployment.target_group is not None:
            groups = [deployment.target_group]
        else:
            groups = [g for g, p in target_groups(run.service) if not p < 0]
        if groups:
            if set(task.registered) != set(groups):
                return "pending"
            states = [self.state.health.state_of(group, task.ip) for group in groups]
            if any(s == "unhealthy" for s in states):
                in_grace = now - (task.running_since or now) < run.grace
                return "pending" if in_grace else "unhealthy"
            return "healthy" if all(s == "healthy" for s in states) else "pending"
        if task.container.get("healthCheck"):
            return "healthy" if task.health_status == "HEALTHY" else "pending"
        return "healthy"

    def unhealthy_event(self, run: ServiceRun, task: Task) -> None:
        """AWS's event for a task its target group calls unhealthy, with the health check's reason."""
        for group in task.registered:
            if self.state.health.state_of(group, task.ip) != "unhealthy":
                continue
            try:
                found = self.state.health.describe(group, [{"Id": task.ip, "Port": task.port or 80}])
                reason = found[0]["TargetHealth"].get("Description") or "Health checks failed"
            except Exception:
                reason = "Health checks failed"
            run.event(events.task_unhealthy(run.name, task, group, reason))
