"""The ECS engine: one thread drives every service's deployments and every task.

moto keeps clusters, task definitions and the service records; the engine keeps what moto lacks
(deployments, tasks, events, service deployments and revisions) and writes each service's
snapshot onto moto's service object, so DescribeServices answers with it. Each tick moves every
task on (`task_steps`), then steps every service: task sets (`task_sets`), failed tasks counted and
a requested stop carried out (`failures`), tasks registered in their target groups and their health
read (`targets`), the circuit breaker and alarms checked, then the rollout moved on — a blue/green,
linear or canary shift (`bluegreen_rollout`) or the rolling scheduler (`rolling`). Times are
emulated (`Clock`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from deploy_actions.emulator.core.clock import Clock
from deploy_actions.emulator.ecs import model, snapshot
from deploy_actions.emulator.ecs.alarms import AlarmWatch
from deploy_actions.emulator.ecs.bluegreen_rollout import BlueGreenRollout
from deploy_actions.emulator.ecs.docker_host import DockerHost
from deploy_actions.emulator.ecs.docker_tasks import DockerTasks
from deploy_actions.emulator.ecs.failures import Failures
from deploy_actions.emulator.ecs.model import Deployment, ServiceDeployment, Task
from deploy_actions.emulator.ecs.rolling import Rolling
from deploy_actions.emulator.ecs.rollouts import Rollouts
from deploy_actions.emulator.ecs.service_run import Action, ServiceRun, run_all, target_groups
from deploy_actions.emulator.ecs.services import Services
from deploy_actions.emulator.ecs.state import EcsState, TargetHealth
from deploy_actions.emulator.ecs.targets import Targets
from deploy_actions.emulator.ecs.task_lifecycle import TaskLifecycle
from deploy_actions.emulator.ecs.task_sets import TaskSets
from deploy_actions.emulator.ecs.task_steps import TaskSteps

TICK = 0.05  # real seconds

log = logging.getLogger(__name__)


class EcsEngine(EcsState):
    def __init__(self, account: str, region: str, clock: Clock, health: TargetHealth,
                 internal_client: Callable[[str], Any]) -> None:
        super().__init__(account, region, clock, health, internal_client)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.docker_host = DockerHost(self.client)
        self.targets = Targets(self)
        self.lifecycle = TaskLifecycle(self, self.targets, self.docker_host)
        self.docker_tasks = DockerTasks(self, self.lifecycle, self.docker_host)
        self.task_steps = TaskSteps(self, self.lifecycle, self.docker_host, self.docker_tasks)
        self.task_sets = TaskSets(self, self.lifecycle, self.targets)
        self.rollouts = Rollouts(self)
        self.services = Services(self, self.lifecycle, self.rollouts, self.task_sets)
        self.rolling = Rolling(self, self.lifecycle)
        self.blue_green = BlueGreenRollout(self, self.lifecycle)
        self.failures = Failures(self.rolling, self.blue_green)
        self.alarms = AlarmWatch(self)

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="emulator-ecs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.lifecycle.close()
        self.docker_host.close()

    def _loop(self) -> None:
        while not self._stopping.wait(TICK):
            try:
                self.tick()
            except Exception:  # the loop must survive anything one service does
                log.exception("ECS engine tick failed")

    def status(self) -> list[dict[str, Any]]:
        """For `deploy-actions emulator status`: each service, its deployments and task sets, and where
        its running tasks listen."""
        with self.lock:
            found = []
            for run in self.runs.values():
                groups: list[tuple[str, list[Task]]] = [(d.id, d.tasks) for d in run.deployments]
                groups += [(ts.id, ts.tasks) for ts in run.task_sets]
                found.append({
                    "service": run.service.arn,
                    "deployments": [{"id": d.id, "status": d.status, "taskDefinition": d.task_definition,
                                     "rolloutState": d.rollout_state} for d in run.deployments],
                    "tasks": [{"task": t.arn, "of": owner, "lastStatus": t.last_status,
                               "address": f"{t.ip}:{t.port}" if t.port else t.ip,
                               "runtime": "docker" if t.docker is not None else "stand-in"}
                              for owner, tasks in groups for t in tasks if t.alive]})
            return found

    # -- the loop ------------------------------------------------------------------------------

    def tick(self) -> None:
        actions: list[Action] = []
        with self.lock:
            actions.extend(self.docker_tasks.pending_stop_actions)
            self.docker_tasks.pending_stop_actions.clear()
            now = self.clock.monotonic()
            self.task_steps.step_all(now, actions)
            for run in list(self.runs.values()):
                self._step_service(run, now, actions)
        run_all(actions)
        self.alarms.check()

    def _step_service(self, run: ServiceRun, now: float, actions: list[Action]) -> None:
        if run.task_sets:
            self.task_sets.step(run, now, actions)
            run.target_events()
            snapshot.publish(run)
        if not run.deployments:
            return
        primary = run.deployments[0]
        sd = primary.service_deployment
        primary.desired = int(run.service.desired_count)
        breaker = run.configuration.get("deploymentCircuitBreaker") or {}
        self.failures.count_failed_tasks(run, primary, sd, now)
        if run.requested:
            self.failures.carry_out_request(run)
            primary = run.deployments[0]
        health = self._check_tasks(run, primary, sd, breaker, now, actions)
        if run.frozen:
            snapshot.publish(run)
            return
        self.failures.detect(run, primary, sd, breaker)
        primary = run.deployments[0]
        if primary.shift is not None and primary.rollout_state == "IN_PROGRESS":
            failed_hook = self.blue_green.step(run, primary, now, actions, health)
            if failed_hook is not None:
                self.failures.hook_failed(run, primary, failed_hook)
            run.target_events()
            snapshot.publish(run)
            return
        current = run.current
        if current is not None and current.shift is not None and current.status == model.ROLLBACK_IN_PROGRESS:
            self.blue_green.step_shift_back(run, current, actions)
            run.target_events()
            snapshot.publish(run)
            return
        self.rolling.step(run, primary, sd, now, actions, health)
        snapshot.publish(run)

    def _check_tasks(self, run: ServiceRun, primary: Deployment, sd: ServiceDeployment, breaker: dict[str, Any],
                     now: float, actions: list[Action]) -> dict[Task, str]:
        """Each deployment's running tasks registered in its target groups; the unhealthy ones stopped; the
        scheduler's view of each task's health. A first healthy task resets the circuit breaker's count."""
        health: dict[Task, str] = {}
        groups = target_groups(run.service)
        for deployment in run.deployments:
            mine = [(g, abs(p)) for g, p in groups if g == deployment.target_group] if deployment.target_group \
                else [(g, p) for g, p in groups if not p < 0]
            for task in deployment.alive():
                self.targets.register_running(run, task, mine, actions)
                state = self.targets.health(run, task, now)
                if state == "unhealthy":
                    self.targets.unhealthy_event(run, task)
                    self.lifecycle.stop(task, f"Task failed ELB health checks in (target-group {task.registered[0]})",
                                        "ServiceSchedulerInitiated", now, actions, run, failed=True)
                    continue
                if state == "healthy" and not task.seen_healthy:
                    task.seen_healthy = True
                    if deployment is primary and breaker.get("resetOnHealthyTask", True) \
                            and primary.rollout_state == "IN_PROGRESS" and not primary.rollback:
                        sd.failure_count = 0
                health[task] = state
        return health
