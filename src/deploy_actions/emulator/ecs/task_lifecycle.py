"""A task's record from PROVISIONING to STOPPED: created (RunTask, or by a service's scheduler),
RUNNING, stopped (deregistered from its target groups first, STOPPED after the groups' deregistration
delay) and finished (its stand-in closed, its container stopped with ECS's stopTimeout)."""

from __future__ import annotations

import math
import uuid
from typing import Any

from moto.core.utils import utcnow

from deploy_actions.emulator.ecs import events, task_logs
from deploy_actions.emulator.ecs.docker_host import DockerHost
from deploy_actions.emulator.ecs.model import Deployment, Task
from deploy_actions.emulator.ecs.service_run import Action, ServiceRun, run_all
from deploy_actions.emulator.ecs.state import EcsState
from deploy_actions.emulator.ecs.targets import Targets
from deploy_actions.emulator.ecs.tasks import AddressPool, Fate, container_port, essential_container


class TaskLifecycle:
    def __init__(self, state: EcsState, targets: Targets, docker: DockerHost) -> None:
        self.state, self.targets, self.docker = state, targets, docker
        self.active: set[Task] = set()  # tasks not yet STOPPED
        self.addresses = AddressPool()

    def run_task(self, cluster: Any, definition: Any, count: int, *, group: str | None, started_by: str,
                 launch_type: str, overrides: dict[str, Any], tags: list[dict[str, str]]) -> list[Task]:
        """RunTask's tasks."""
        with self.state.lock:
            now = self.state.clock.monotonic()
            return [self.new_task(cluster.arn, str(cluster.name), definition, group or f"family:{definition.family}",
                                  started_by, launch_type, overrides, now, tags=tags) for _ in range(count)]

    def new_task(self, cluster_arn: str, cluster_name: str, definition: Any, group: str, started_by: str,
                 launch_type: str, overrides: dict[str, Any], now: float, *, tags: list[dict[str, str]] | None = None,
                 service_arn: str | None = None, deployment: str | None = None) -> Task:
        container = essential_container(definition.container_definitions)
        container_overrides = {}
        for found in (overrides or {}).get("containerOverrides") or []:
            if found.get("name") == container["name"]:
                container_overrides = found
        task = Task(self.state.arn("task", f"{cluster_name}/{uuid.uuid4().hex}"), cluster_arn, definition, container,
                    Fate.of(container.get("dockerLabels") or {}), self.addresses.allocate(),
                    container_port(container), group, started_by, launch_type, overrides or {}, now,
                    tags=tags or [], service_arn=service_arn, deployment=deployment)
        task.container_overrides = container_overrides
        self.state.tasks[task.arn] = task
        self.active.add(task)
        return task

    def start_for(self, run: ServiceRun, deployment: Deployment, count: int, now: float) -> None:
        """`count` new tasks of a service's deployment."""
        if count <= 0:
            return  # (the task definition is not even looked up)
        service = run.service
        definition = self.state.backend.describe_task_definition(deployment.task_definition)
        started = [self.new_task(service.cluster_arn, service.cluster_name, definition, f"service:{service.name}",
                                 deployment.id, service.launch_type or "EC2", {}, now, service_arn=service.arn,
                                 deployment=deployment.id) for _ in range(count)]
        deployment.tasks.extend(started)
        if started:
            deployment.updated_at = utcnow()
            run.event(events.tasks_started(run.name, started))

    def stop_task(self, task: Task, reason: str) -> None:
        """StopTask."""
        actions: list[Action] = []
        with self.state.lock:
            if task.alive:
                run = self.state.runs.get(task.service_arn or "")
                self.stop(task, reason, "UserInitiated", self.state.clock.monotonic(), actions, run)
        run_all(actions)

    def stop(self, task: Task, reason: str, code: str, now: float, actions: list[Action],
             run: ServiceRun | None, *, failed: bool = False, exit_code: int | None = None) -> None:
        if not task.alive:
            return
        task.desired_status, task.stopping_at, task.version = "STOPPED", utcnow(), task.version + 1
        task.stopped_reason, task.stop_code, task.failed = reason, code, failed
        if exit_code is not None:
            task.exit_code = exit_code
        drain = 0.0
        if task.registered and run is not None:
            for group_arn in task.registered:
                drain = max(drain, self.targets.deregistration_delay(group_arn))
                actions.append(self.targets.deregister(group_arn, task))
                run.deregistered[group_arn] = run.deregistered.get(group_arn, 0) + 1
            task.registered = []
        if task.last_status in ("PROVISIONING", "PENDING") and task.docker is None and not task.starting:
            self.finish(task)
        else:  # (a task whose docker run is under way is finished when the run answers: DockerTasks.start)
            task.last_status = "DEACTIVATING" if drain else "STOPPING"
            task.stop_due = now + drain

    def finish(self, task: Task) -> None:
        task.last_status, task.stopped_at, task.version = "STOPPED", utcnow(), task.version + 1
        task.health_status = "UNKNOWN"
        if task.stand_in is not None:
            task.stand_in.close()
            task.stand_in = None
            if task.exit_code is None and task.running_since is not None:
                task.exit_code = 0
        if task.docker is not None:
            container = task.docker
            task.docker = None

            # ECS's stopTimeout (30 s by default) between SIGTERM and SIGKILL, on the emulator's clock
            grace = max(1, math.ceil(self.state.clock.real(float(task.container.get("stopTimeout") or 30))))

            def stop() -> None:
                code = container.stop(grace)
                task_logs.ship_container_logs(task, container, self.state.region, self.state.account)
                container.remove()
                with self.state.lock:
                    if task.exit_code is None and code is not None:
                        task.exit_code = code

            self.docker.submit(stop)
        self.active.discard(task)

    def running(self, task: Task, now: float) -> None:
        task.last_status, task.started_at, task.running_since = "RUNNING", utcnow(), now
        task.version += 1
        if task.container.get("healthCheck") and task.docker is None:
            task.health_status = "UNHEALTHY" if task.fate.unhealthy else "HEALTHY"

    def exited(self, task: Task, code: int, now: float, actions: list[Action], run: ServiceRun | None) -> None:
        """The essential container exited with `code`."""
        reason = task.fate.stopped_reason or "Essential container in task exited"
        task.container_reason = None
        self.stop(task, reason, "EssentialContainerExited", now, actions, run,
                  failed=run is not None or code != 0, exit_code=code)
        if task.docker is None and task.stand_in is not None:
            self.finish(task)

    def close(self) -> None:
        """The emulator stops: every stand-in closed, every container removed."""
        with self.state.lock:
            tasks = list(self.active)
            self.active.clear()
        for task in tasks:
            if task.stand_in is not None:
                task.stand_in.close()
            if task.docker is not None:
                task.docker.remove()
