"""Each tick moves every task on: PROVISIONING → PENDING → RUNNING after its fate's start time (as a
stand-in server, or its container under Docker), and stops the ones whose fate is to fail, fail their
container health check or exit."""

from __future__ import annotations

from deploy_actions.emulator.ecs import task_logs
from deploy_actions.emulator.ecs.docker_host import DockerHost
from deploy_actions.emulator.ecs.docker_tasks import DockerTasks
from deploy_actions.emulator.ecs.model import Task
from deploy_actions.emulator.ecs.service_run import Action
from deploy_actions.emulator.ecs.state import EcsState
from deploy_actions.emulator.ecs.task_lifecycle import TaskLifecycle
from deploy_actions.emulator.ecs.tasks import StandIn, wants_docker


class TaskSteps:
    def __init__(self, state: EcsState, lifecycle: TaskLifecycle, docker: DockerHost,
                 docker_tasks: DockerTasks) -> None:
        self.state, self.lifecycle, self.docker, self.docker_tasks = state, lifecycle, docker, docker_tasks

    def step_all(self, now: float, actions: list[Action]) -> None:
        for task in list(self.lifecycle.active):
            self._step(task, now, actions)

    def _step(self, task: Task, now: float, actions: list[Action]) -> None:
        run = self.state.runs.get(task.service_arn or "")
        fate = task.fate
        stop = self.lifecycle.stop
        if not task.alive:
            if task.stop_due is not None and now >= task.stop_due and not task.starting:
                self.lifecycle.finish(task)
            return
        if task.last_status == "PROVISIONING":
            task.last_status, task.version = "PENDING", task.version + 1
            return
        if task.last_status == "PENDING":
            if task.docker is not None or task.starting:
                return  # a docker run is under way (DockerTasks.start moves it on)
            if now - task.created < fate.start_seconds:
                return
            if fate.fail_to_start:
                task.container_reason = fate.fail_to_start
                stop(task, fate.fail_to_start, "TaskFailedToStart", now, actions, run, failed=True)
                return
            missing = task_logs.missing_group(task, self.state.region, self.state.account)
            if missing:
                task.container_reason = missing
                stop(task, missing, "TaskFailedToStart", now, actions, run, failed=True)
                return
            image = str(task.container.get("image", ""))
            if wants_docker(image, fate, self.docker.available):
                self.docker_tasks.start(task)
                return
            try:
                task.stand_in = self._stand_in(task)
            except OSError as error:
                reason = f"CannotStartContainerError: {error}"
                task.container_reason = reason
                stop(task, reason, "TaskFailedToStart", now, actions, run, failed=True)
                return
            self.lifecycle.running(task, now)
            if fate.logs:
                task_logs.ship(task, fate.logs.splitlines(), self.state.region, self.state.account)
            return
        if task.last_status != "RUNNING":
            return
        if task.docker is not None:
            self.docker_tasks.poll(task)
            return
        if task.container.get("healthCheck"):
            check = task.container["healthCheck"]
            due = float(check.get("startPeriod", 0)) + float(check.get("interval", 30)) * int(check.get("retries", 3))
            if fate.unhealthy and now - (task.running_since or now) >= due:
                task.health_status = "UNHEALTHY"
                stop(task, "Task failed container health checks", "TaskFailedToStart", now, actions, run,
                     failed=True)
                return
        if fate.exit_code is not None and now - (task.running_since or now) >= fate.exit_after:
            self.lifecycle.exited(task, fate.exit_code, now, actions, run)

    def _stand_in(self, task: Task) -> StandIn:
        """The task's stand-in server; another address when its own is taken (another emulator's task)."""
        body = task.fate.body or f"{task.definition.family}:{task.definition.revision}"
        for attempt in range(5):
            try:
                return StandIn(task.ip, task.port, body, task.fate.unhealthy)
            except OSError:
                if attempt == 4:
                    raise
                task.ip = self.lifecycle.addresses.allocate()
        raise AssertionError("unreachable")
