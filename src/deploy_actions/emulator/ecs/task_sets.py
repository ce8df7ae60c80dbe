"""Task sets of a service whose deployment controller is CODE_DEPLOY or EXTERNAL: created, scaled,
made PRIMARY and drained by their API calls; each step keeps a set's tasks at its share of the
service's desiredCount, in its own target groups, and tells whether it is at a steady state."""

from __future__ import annotations

import math
import secrets
from typing import Any

from moto.core.utils import utcnow

from deploy_actions.emulator.core.errors import AwsError
from deploy_actions.emulator.ecs import events, snapshot
from deploy_actions.emulator.ecs.model import TaskSet
from deploy_actions.emulator.ecs.service_run import Action, ServiceRun, controller
from deploy_actions.emulator.ecs.state import EcsState
from deploy_actions.emulator.ecs.targets import Targets
from deploy_actions.emulator.ecs.task_lifecycle import TaskLifecycle


class TaskSets:
    def __init__(self, state: EcsState, lifecycle: TaskLifecycle, targets: Targets) -> None:
        self.state, self.lifecycle, self.targets = state, lifecycle, targets

    def new(self, run: ServiceRun, task_definition: str, external_id: str | None,
            load_balancers: list[dict[str, Any]], scale: dict[str, Any], *, started_by: str,
            launch_type: str | None, network: dict[str, Any] | None) -> TaskSet:
        service = run.service
        definition = self.state.backend.describe_task_definition(task_definition)
        set_id = "ecs-svc/" + "".join(secrets.choice("0123456789") for _ in range(19))
        task_set = TaskSet(set_id, self.state.arn("task-set", f"{service.cluster_name}/{service.name}/{set_id}"),
                           service.arn, service.cluster_arn, definition.arn, external_id, started_by,
                           launch_type or service.launch_type, network, load_balancers, scale)
        run.task_sets.append(task_set)
        return task_set

    def create(self, service: Any, params: dict[str, Any], task_definition: str) -> TaskSet:
        """CreateTaskSet."""
        with self.state.lock:
            run = self.state.runs.get(service.arn)
            if run is None:
                raise AwsError("ServiceNotFoundException", "Service not found.")
            if controller(service) not in ("CODE_DEPLOY", "EXTERNAL"):
                raise AwsError("InvalidParameterException",
                               "Task sets are only supported for services using the CODE_DEPLOY or EXTERNAL "
                               "deployment controller.")
            task_set = self.new(
                run, task_definition, params.get("externalId"), list(params.get("loadBalancers") or []),
                dict(params.get("scale") or {"value": 100.0, "unit": "PERCENT"}),
                started_by=str(params.get("externalId") or ""), launch_type=params.get("launchType"),
                network=params.get("networkConfiguration") or getattr(service, "network_configuration", None))
            snapshot.publish(run)
            return task_set

    def _find(self, service: Any, reference: str) -> tuple[ServiceRun, TaskSet]:
        run = self.state.runs.get(service.arn)
        found = next((ts for ts in (run.task_sets if run else []) if reference in (ts.id, ts.arn)), None)
        if run is None or found is None:
            raise AwsError("TaskSetNotFoundException", f"The specified task set {reference} does not exist.")
        return run, found

    def update_primary(self, service: Any, reference: str) -> TaskSet:
        """UpdateServicePrimaryTaskSet."""
        with self.state.lock:
            run, primary = self._find(service, reference)
            for task_set in run.task_sets:
                if task_set.status == "PRIMARY":
                    task_set.status, task_set.updated_at = "ACTIVE", utcnow()
            primary.status, primary.updated_at = "PRIMARY", utcnow()
            snapshot.publish(run)
            return primary

    def update(self, service: Any, reference: str, scale: dict[str, Any]) -> TaskSet:
        """UpdateTaskSet."""
        with self.state.lock:
            run, task_set = self._find(service, reference)
            task_set.scale, task_set.updated_at = dict(scale), utcnow()
            task_set.stability = "STABILIZING"
            snapshot.publish(run)
            return task_set

    def delete(self, service: Any, reference: str, force: bool) -> TaskSet:
        """DeleteTaskSet: DRAINING, gone once its tasks are stopped."""
        with self.state.lock:
            run, task_set = self._find(service, reference)
            if task_set.status == "PRIMARY" and not force:
                raise AwsError("InvalidParameterException", "The primary task set cannot be deleted.")
            task_set.status, task_set.updated_at = "DRAINING", utcnow()
            snapshot.publish(run)
            return task_set

    def step(self, run: ServiceRun, now: float, actions: list[Action]) -> None:
        service = run.service
        for task_set in list(run.task_sets):
            groups = [(str(lb["targetGroupArn"]), int(lb.get("containerPort") or 0))
                      for lb in task_set.load_balancers if lb.get("targetGroupArn")]
            percent = float(task_set.scale.get("value", 100))
            task_set.computed = 0 if task_set.status == "DRAINING" else \
                math.ceil(int(service.desired_count) * percent / 100)
            for task in task_set.alive():
                self.targets.register_running(run, task, groups, actions)
                if self.targets.health(run, task, now) == "unhealthy":
                    self.targets.unhealthy_event(run, task)
                    self.lifecycle.stop(task, f"Task failed ELB health checks in (target-group {task.registered[0]})",
                                        "ServiceSchedulerInitiated", now, actions, run, failed=True)
            alive = task_set.alive()
            need = task_set.computed - len(alive)
            if need > 0 and now >= run.backoff_until:
                definition = self.state.backend.describe_task_definition(task_set.task_definition)
                started = [self.lifecycle.new_task(service.cluster_arn, service.cluster_name, definition,
                                                   f"service:{service.name}", task_set.started_by or task_set.id,
                                                   task_set.launch_type or "EC2", {}, now, service_arn=service.arn,
                                                   deployment=task_set.id) for _ in range(need)]
                for task in started:
                    task.groups = [g for g, _ in groups]
                task_set.tasks.extend(started)
                run.event(events.tasks_started(run.name, started, task_set.id))
            elif need < 0:
                extra = alive[:-need]
                for task in extra:
                    self.lifecycle.stop(task, f"Scaling activity initiated by (taskSet {task_set.id})",
                                        "ServiceSchedulerInitiated", now, actions, run)
                run.event(events.tasks_stopped(run.name, extra, task_set.id))
            for task in task_set.tasks:
                if task.failed and not task.counted:
                    task.counted = True
                    run.launch_failed(now)
            healthy = sum(1 for t in task_set.alive() if self.targets.health(run, t, now) == "healthy")
            steady = healthy == task_set.computed == len(task_set.alive())
            stability = "STEADY_STATE" if steady else "STABILIZING"
            if stability != task_set.stability:
                task_set.stability, task_set.stability_at = stability, utcnow()
            if task_set.status == "DRAINING" and all(t.last_status == "STOPPED" for t in task_set.tasks):
                run.task_sets.remove(task_set)
