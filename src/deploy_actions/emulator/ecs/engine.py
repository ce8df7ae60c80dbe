"""The ECS engine: one thread drives every service's deployments and every task.

moto keeps clusters, task definitions and the service records; the engine keeps what moto lacks
(deployments, tasks, events, service deployments and revisions) and writes each service's
snapshot onto moto's service object, so DescribeServices answers with it. Rolling deployments
(deploymentController ECS) honour minimumHealthyPercent and maximumPercent; tasks register in the
service's target groups and count as healthy when the emulator's health tracker says so; the
deployment circuit breaker and deployment alarms fail a rollout and roll back to the last
COMPLETED service revision. Times are emulated (`Clock`).
"""

from __future__ import annotations

import copy
import logging
import math
import secrets
import threading
from collections.abc import Callable
from typing import Any

from moto.core.utils import utcnow

from deploy_actions.emulator.core.clock import Clock
from deploy_actions.emulator.core.errors import AwsError
from deploy_actions.emulator.ecs import bluegreen, events, model, snapshot
from deploy_actions.emulator.ecs.docker_host import DockerHost
from deploy_actions.emulator.ecs.docker_tasks import DockerTasks
from deploy_actions.emulator.ecs.model import Deployment, ServiceDeployment, Task, TaskSet, breaker_threshold
from deploy_actions.emulator.ecs.service_run import (
    DEFAULT_ALARM_BAKE,
    Action,
    ServiceRun,
    controller,
    run_all,
    target_groups,
)
from deploy_actions.emulator.ecs.state import EcsState, TargetHealth
from deploy_actions.emulator.ecs.targets import Targets
from deploy_actions.emulator.ecs.task_lifecycle import TaskLifecycle
from deploy_actions.emulator.ecs.task_steps import TaskSteps

TICK = 0.05  # real seconds
ALARM_POLL = 0.3  # real seconds between DescribeAlarms of a monitored deployment
DEFAULT_CONFIGURATION: dict[str, Any] = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200, "minimumHealthyPercent": 100, "strategy": "ROLLING",
}

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

    # -- services ------------------------------------------------------------------------------

    def adopt_service(self, service: Any, params: dict[str, Any]) -> None:
        """A service moto just created: its deployment configuration kept, its first deployment started."""
        configuration = _merged(copy.deepcopy(DEFAULT_CONFIGURATION), params.get("deploymentConfiguration") or {})
        with self.lock:
            run = ServiceRun(service, configuration, float(params.get("healthCheckGracePeriodSeconds") or 0))
            service.deployment_configuration = configuration
            service.health_check_grace_period_seconds = params.get("healthCheckGracePeriodSeconds")
            self.runs[service.arn] = run
            if controller(service) == "ECS" and service.task_definition:
                self._new_deployment(run, str(service.task_definition))
            elif controller(service) == "CODE_DEPLOY" and service.task_definition:
                # AWS starts a CODE_DEPLOY service with a PRIMARY task set of the service's own settings
                primary = self._new_task_set(run, str(service.task_definition), None,
                                             list(service.load_balancers or []), {"value": 100.0, "unit": "PERCENT"},
                                             started_by="", launch_type=service.launch_type,
                                             network=getattr(service, "network_configuration", None) or None)
                primary.status = "PRIMARY"
            snapshot.publish(run)

    def update_service(self, service: Any, params: dict[str, Any], task_definition: str | None) -> None:
        with self.lock:
            run = self.runs.get(service.arn)
            if run is None:  # created before the emulator served ECS (moto directly): adopt it now
                self.adopt_service(service, {})
                run = self.runs[service.arn]
            if params.get("deploymentConfiguration"):
                run.configuration = _merged(run.configuration, params["deploymentConfiguration"])
                service.deployment_configuration = run.configuration
            if params.get("desiredCount") is not None:
                service.desired_count = int(params["desiredCount"])
            if params.get("healthCheckGracePeriodSeconds") is not None:
                run.grace = float(params["healthCheckGracePeriodSeconds"])
                service.health_check_grace_period_seconds = params["healthCheckGracePeriodSeconds"]
            changed = False
            for key, attribute in (("loadBalancers", "load_balancers"),
                                   ("networkConfiguration", "network_configuration"),
                                   ("platformVersion", "platform_version")):
                if params.get(key) is not None and params[key] != getattr(service, attribute, None):
                    setattr(service, attribute, params[key])
                    changed = True
            primary = run.deployments[0] if run.deployments else None
            if task_definition and (primary is None or task_definition != primary.task_definition):
                changed = True
            if controller(service) == "ECS" and (changed or params.get("forceNewDeployment")):
                self._new_deployment(run, task_definition or str(service.task_definition))
            elif primary is not None:
                primary.desired = int(service.desired_count)
            run.frozen = False
            snapshot.publish(run)

    def delete_service(self, service: Any) -> None:
        with self.lock:
            run = self.runs.pop(service.arn, None)
            if run is None:
                return
            now = self.clock.monotonic()
            actions: list[Action] = []
            for tasks in [d.tasks for d in run.deployments] + [ts.tasks for ts in run.task_sets]:
                for task in [t for t in tasks if t.alive]:
                    self.lifecycle.stop(task, "Service deleted", "ServiceSchedulerInitiated", now, actions, run)
        run_all(actions)

    def _revision(self, run: ServiceRun, task_definition: str) -> str:
        service = run.service
        arn = self.arn("service-revision", f"{service.cluster_name}/{service.name}/"
                        + "".join(secrets.choice("0123456789") for _ in range(19)))
        definition = self.backend.describe_task_definition(task_definition)
        revision: dict[str, Any] = {
            "serviceRevisionArn": arn, "serviceArn": service.arn, "clusterArn": service.cluster_arn,
            "taskDefinition": definition.arn, "launchType": service.launch_type or "EC2",
            "loadBalancers": copy.deepcopy(service.load_balancers or []),
            "containerImages": [{"containerName": c["name"], "image": c.get("image", "")}
                                for c in definition.container_definitions],
            "createdAt": utcnow(),
        }
        if getattr(service, "network_configuration", None):
            revision["networkConfiguration"] = service.network_configuration
        if service.launch_type == "FARGATE":
            revision["platformVersion"], revision["platformFamily"] = "1.4.0", "Linux"
        self.revisions[arn] = revision
        return arn

    def _new_deployment(self, run: ServiceRun, task_definition: str) -> None:
        service = run.service
        definition = self.backend.describe_task_definition(task_definition)
        service.task_definition = definition.arn
        revision = self._revision(run, definition.arn)
        run.deployments = [d for d in run.deployments if d.alive()]
        if run.current is not None and run.current.status not in model.FINISHED:
            run.current.set_status(model.STOPPED, "Service deployment superseded by a newer service deployment.")
        configuration = copy.deepcopy(run.configuration)
        sd = ServiceDeployment(
            self.arn("service-deployment", f"{service.cluster_name}/{service.name}/{model.random_id()}"),
            service.arn, service.cluster_arn, revision, [d.revision for d in run.deployments], configuration)
        breaker = configuration.get("deploymentCircuitBreaker") or {}
        desired = int(service.desired_count)
        if breaker.get("enable"):
            sd.breaker_status, sd.threshold = "MONITORING", breaker_threshold(breaker, desired)
        if (configuration.get("alarms") or {}).get("enable"):
            sd.alarms_status = "MONITORING"
        sd.set_status(model.IN_PROGRESS)
        sd.started_at = utcnow()
        self.service_deployments[sd.arn] = sd
        for deployment in run.deployments:
            deployment.status = "ACTIVE"
        network = getattr(service, "network_configuration", None) or None
        blue = next((d for d in run.deployments if d.alive()), None)
        deployment = Deployment(model.deployment_id(), definition.arn, revision, desired, service.launch_type,
                                network, sd)
        advanced = _advanced(service)
        if advanced is not None:
            main = str((service.load_balancers or [{}])[0].get("targetGroupArn"))
            alternate = str(advanced.get("alternateTargetGroupArn"))
            if blue is None or configuration.get("strategy") not in bluegreen.STRATEGIES:
                deployment.target_group = blue.target_group if blue is not None and blue.target_group else main
            else:
                blue_group = blue.target_group or main
                deployment.target_group = alternate if blue_group == main else main
                steps, step_bake = bluegreen.plan(configuration)
                deployment.shift = sd.shift = bluegreen.Shift(
                    str(configuration["strategy"]), blue_group, deployment.target_group,
                    str(advanced.get("productionListenerRule")), advanced.get("testListenerRule"), steps, step_bake,
                    float(configuration.get("bakeTimeInMinutes") or 0) * 60,
                    list(configuration.get("lifecycleHooks") or []))
                sd.weights = {revision: (0.0, 0.0), blue.revision: (100.0, 100.0)}
        run.deployments.insert(0, deployment)
        run.current, run.bake_until, run.requested = sd, None, None
        run.launch_failures, run.backoff_until = 0, 0.0

    def _roll_back(self, run: ServiceRun, reason: str) -> None:
        failed = run.deployments[0]
        sd = failed.service_deployment
        target = run.last_completed
        assert target is not None
        sd.set_status(model.ROLLBACK_IN_PROGRESS)
        sd.rollback = {"reason": reason, "startedAt": utcnow(), "serviceRevisionArn": target}
        task_definition = self.revisions[target]["taskDefinition"]
        for deployment in run.deployments:
            deployment.status = "ACTIVE"
        rollback = Deployment(model.deployment_id(), task_definition, target, int(run.service.desired_count),
                              run.service.launch_type,
                              getattr(run.service, "network_configuration", None) or None, sd, rollback=True)
        # The tasks still running the revision rolled back to are the rollback deployment's own.
        for deployment in [d for d in run.deployments if d.revision == target]:
            rollback.tasks.extend(deployment.tasks)
            run.deployments.remove(deployment)
        for task in rollback.tasks:
            task.deployment = rollback.id
        run.deployments.insert(0, rollback)
        run.service.task_definition = task_definition
        run.bake_until, run.launch_failures, run.backoff_until = None, 0, 0.0
        run.event(events.rolling_back(run.name, failed.id, rollback.id))

    def _fail(self, run: ServiceRun, why: str, rollout_reason: str, rollback: bool) -> None:
        primary = run.deployments[0]
        sd = primary.service_deployment
        primary.rollout_state, primary.rollout_reason, primary.updated_at = "FAILED", rollout_reason, utcnow()
        run.event(events.deployment_failed(run.name, primary.id, why))
        if primary.rollback:
            sd.set_status(model.ROLLBACK_FAILED, f"Rollback failed: {why}.")
        elif primary.shift is not None:
            self._shift_back(run, f"Service deployment rolled back because {why}.")
        elif rollback and run.last_completed is not None:
            self._roll_back(run, f"Service deployment rolled back because {why}.")
        else:
            sd.set_status(model.STOPPED, f"Service deployment failed: {why}.")

    # -- service deployments -------------------------------------------------------------------

    def stop_service_deployment(self, arn: str, stop_type: str) -> None:
        with self.lock:
            sd = self.service_deployments.get(arn)
            if sd is None:
                raise AwsError("ServiceDeploymentNotFoundException", f"Service deployment {arn} was not found.")
            if sd.status not in (model.PENDING, model.IN_PROGRESS):
                raise AwsError("ConflictException", f"The service deployment is {sd.status} and can't be stopped.")
            run = self.runs.get(sd.service_arn)
            if run is None or run.current is not sd:
                raise AwsError("ConflictException", "The service deployment is not the service's current one.")
            if stop_type == "ROLLBACK":
                if run.last_completed is None:
                    raise AwsError("InvalidParameterException",
                                   "There is no successful service revision to roll back to.")
                sd.set_status(model.ROLLBACK_REQUESTED)
            else:
                sd.set_status(model.STOP_REQUESTED)
            run.requested = stop_type

    # -- the rolling scheduler -----------------------------------------------------------------

    def _step_service(self, run: ServiceRun, now: float, actions: list[Action]) -> None:
        if run.task_sets:
            self._step_task_sets(run, now, actions)
            run.target_events()
            snapshot.publish(run)
        if not run.deployments:
            return
        service = run.service
        primary = run.deployments[0]
        sd = primary.service_deployment
        desired = int(service.desired_count)
        primary.desired = desired
        breaker = run.configuration.get("deploymentCircuitBreaker") or {}
        # tasks that failed on their own since the last step
        for deployment in run.deployments:
            for task in deployment.tasks:
                if task.failed and not task.counted:
                    task.counted = True
                    deployment.failed_tasks += 1
                    deployment.updated_at = utcnow()
                    if deployment is primary:
                        run.launch_failed(now)
                        if primary.rollout_state == "IN_PROGRESS" and not primary.rollback:
                            sd.failure_count += 1
        if run.requested:
            self._requested(run)
            primary = run.deployments[0]
        # health, target registration
        health: dict[Task, str] = {}
        groups = target_groups(service)
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
        if run.frozen:
            snapshot.publish(run)
            return
        # failure detection
        if primary.rollout_state == "IN_PROGRESS" and breaker.get("enable") and sd.threshold \
                and sd.failure_count >= sd.threshold and not primary.rollback:
            sd.breaker_status = "TRIGGERED"
            self._fail(run, "tasks failed to start", "ECS deployment circuit breaker: tasks failed to start.",
                       bool(breaker.get("rollback")))
            primary = run.deployments[0]
        if sd.triggered_alarms and primary.rollout_state == "IN_PROGRESS" and not primary.rollback \
                and sd.alarms_status == "MONITORING":
            sd.alarms_status = "TRIGGERED"
            names = ", ".join(sd.triggered_alarms)
            self._fail(run, "alarm detected", f"ECS deployment {primary.id} failed: alarm(s) [{names}] in ALARM state.",
                       bool((run.configuration.get("alarms") or {}).get("rollback")))
            primary = run.deployments[0]
        if primary.shift is not None and primary.rollout_state == "IN_PROGRESS":
            self._step_shift(run, primary, now, actions, health)
            run.target_events()
            snapshot.publish(run)
            return
        current = run.current
        if current is not None and current.shift is not None and current.status == model.ROLLBACK_IN_PROGRESS:
            self._step_shift_back(run, current, now, actions)
            run.target_events()
            snapshot.publish(run)
            return
        # scale
        maximum = math.floor(desired * int(run.configuration.get("maximumPercent", 200)) / 100)
        minimum = math.ceil(desired * int(run.configuration.get("minimumHealthyPercent", 100)) / 100)
        alive = sum(len(d.alive()) for d in run.deployments)
        launching = primary.rollout_state != "FAILED"
        need = desired - len(primary.alive())
        if launching and need > 0 and now >= run.backoff_until:
            count = min(need, max(maximum - alive, 0))
            if count == 0 and alive == 0:
                count = min(need, max(desired, 1))
            self.lifecycle.start_for(run, primary, count, now)
        elif need < 0:
            extra = sorted(primary.alive(), key=lambda t: health.get(t) == "healthy")[:-need]
            for task in extra:
                self.lifecycle.stop(task, f"Scaling activity initiated by (deployment {primary.id})",
                                "ServiceSchedulerInitiated", now, actions, run)
            if extra:
                run.event(events.tasks_stopped(run.name, extra))
        # Older tasks serving (healthy, or running and still in their health checks) count toward the
        # minimum; new tasks count once healthy. Older tasks that serve nothing go at once.
        def serving(task: Task, older: bool) -> bool:
            return health.get(task) == "healthy" or (older and task.last_status == "RUNNING"
                                                      and health.get(task) == "pending")

        healthy = sum(1 for i, d in enumerate(run.deployments) for t in d.alive() if serving(t, i > 0))
        stopped: list[Task] = []
        for deployment in run.deployments[1:]:
            if deployment.frozen:
                continue
            for task in deployment.alive():
                if serving(task, True):
                    if healthy - 1 < minimum:
                        continue
                    healthy -= 1
                self.lifecycle.stop(task, f"Scaling activity initiated by (deployment {primary.id})",
                                "ServiceSchedulerInitiated", now, actions, run)
                stopped.append(task)
        if stopped:
            run.event(events.tasks_stopped(run.name, stopped))
        run.target_events()
        # completion: the primary's tasks healthy, every older task stopped
        primary_healthy = sum(1 for t in primary.alive() if health.get(t) == "healthy")
        steady = (primary.rollout_state == "IN_PROGRESS" and primary_healthy == desired
                  and len(primary.alive()) == desired
                  and not any(t.last_status != "STOPPED" for d in run.deployments[1:] for t in d.tasks))
        if steady and sd.alarms_status == "MONITORING" and not primary.rollback:
            if run.bake_until is None:
                run.bake_until = now + run.alarm_bake
            steady = now >= run.bake_until
        if steady:
            self._complete(run, primary)
        snapshot.publish(run)

    def _requested(self, run: ServiceRun) -> None:
        primary = run.deployments[0]
        sd = primary.service_deployment
        requested, run.requested = run.requested, None
        if sd is not run.current or sd.status not in (model.ROLLBACK_REQUESTED, model.STOP_REQUESTED):
            return
        primary.updated_at = utcnow()
        if requested == "ROLLBACK" and (run.last_completed is not None or primary.shift is not None):
            primary.rollout_state = "FAILED"
            primary.rollout_reason = f"ECS deployment {primary.id} stopped: rollback requested."
            if sd.breaker_status == "MONITORING":
                sd.breaker_status = "MONITORING_COMPLETE"
            if sd.alarms_status == "MONITORING":
                sd.alarms_status = "MONITORING_COMPLETE"
            if primary.shift is not None:
                self._shift_back(run, "Service deployment rolled back by StopServiceDeployment.")
            else:
                self._roll_back(run, "Service deployment rolled back by StopServiceDeployment.")
        else:
            primary.rollout_state = "FAILED"
            primary.rollout_reason = f"ECS deployment {primary.id} stopped."
            sd.set_status(model.STOPPED, "Service deployment stopped by StopServiceDeployment (ABORT).")
            run.frozen = True

    # -- blue/green, linear, canary ------------------------------------------------------------

    def _weights(self, run: ServiceRun, green: Deployment, test: float | None, production: float | None,
                 actions: list[Action]) -> None:
        shift = green.shift
        assert shift is not None
        sd = green.service_deployment
        elbv2 = self.client("elbv2")

        def rewrite(rule: str, percent: float) -> Action:
            shift.rewrites += 1  # the stage waits for the listener to follow

            def run() -> None:
                try:
                    bluegreen.set_weights(elbv2, rule, shift.blue_group, shift.green_group, percent)
                finally:
                    with self.lock:
                        shift.rewrites -= 1
            return run

        if test is not None and shift.test_rule:
            shift.test_weight = test
            actions.append(rewrite(shift.test_rule, test))
        if production is not None:
            shift.production_weight = production
            actions.append(rewrite(shift.production_rule, production))
        for arn in sd.weights:
            mine = arn == green.revision
            sd.weights[arn] = ((shift.test_weight if mine else 100 - shift.test_weight),
                               (shift.production_weight if mine else 100 - shift.production_weight))

    def _step_shift(self, run: ServiceRun, green: Deployment, now: float, actions: list[Action],
                    health: dict[Task, str]) -> None:
        shift = green.shift
        assert shift is not None
        sd = green.service_deployment
        for _ in range(len(bluegreen.STAGES) + len(shift.steps) * 2):  # as many stages as are ready now
            if (shift.wait_until is not None and now < shift.wait_until) or shift.rewrites:
                return
            stage = shift.stage
            if not shift.entered:
                shift.entered, shift.wait_until = True, None
                sd.lifecycle_stage, sd.updated_at = stage, utcnow()
                shift.start_hooks(now, self.clock.real)
                if stage == "TEST_TRAFFIC_SHIFT":
                    self._weights(run, green, 100.0, None, actions)
                elif stage == "PRODUCTION_TRAFFIC_SHIFT":
                    self._weights(run, green, None, shift.steps[shift.step], actions)
                    if shift.step + 1 < len(shift.steps):
                        shift.wait_until = now + shift.step_bake
                elif stage == "BAKE_TIME":
                    shift.wait_until = now + shift.bake
                elif stage == "CLEAN_UP":
                    for blue in run.deployments[1:]:
                        for task in blue.alive():
                            self.lifecycle.stop(task, f"Scaling activity initiated by (deployment {green.id})",
                                            "ServiceSchedulerInitiated", now, actions, run)
                continue
            settled = shift.settle_hooks(now)
            if settled == "rollback":
                failed = next(r for r in shift.runs if r.stage == stage and r.status in ("FAILED", "TIMED_OUT"))
                self._fail(run, f"lifecycle hook {failed.id} at {stage} {failed.status.lower()}",
                           f"ECS deployment {green.id} failed: lifecycle hook {failed.status.lower()}.", True)
                return
            if settled is None:
                return
            if stage == "SCALE_UP":
                need = green.desired - len(green.alive())
                if need > 0 and now >= run.backoff_until:
                    self.lifecycle.start_for(run, green, need, now)
                if sum(1 for t in green.alive() if health.get(t) == "healthy") < green.desired:
                    return
            if stage == "CLEAN_UP":
                if any(t.last_status != "STOPPED" for d in run.deployments[1:] for t in d.tasks):
                    return
                self._complete(run, green)
                return
            shift.next_stage()

    def _complete(self, run: ServiceRun, primary: Deployment) -> None:
        sd = primary.service_deployment
        primary.rollout_state, primary.updated_at = "COMPLETED", utcnow()
        primary.rollout_reason = f"ECS deployment {primary.id} completed."
        run.deployments = [primary]
        if sd.breaker_status == "MONITORING":
            sd.breaker_status = "MONITORING_COMPLETE"
        if sd.alarms_status == "MONITORING":
            sd.alarms_status = "MONITORING_COMPLETE"
        sd.set_status(model.ROLLBACK_SUCCESSFUL if primary.rollback else model.SUCCESSFUL)
        run.last_completed = primary.revision
        run.event(events.deployment_completed(run.name, primary.id))
        run.event(events.steady_state(run.name))

    def _shift_back(self, run: ServiceRun, reason: str) -> None:
        """A blue/green rollback: traffic back to blue at once, the green tasks stopped; blue is PRIMARY again."""
        green = run.deployments[0]
        shift, sd = green.shift, green.service_deployment
        assert shift is not None
        blue = next((d for d in run.deployments[1:] if d.alive()), None)
        sd.set_status(model.ROLLBACK_IN_PROGRESS)
        sd.rollback = {"reason": reason, "startedAt": utcnow(),
                       "serviceRevisionArn": blue.revision if blue is not None else green.revision}
        green.status = "ACTIVE"
        if blue is not None:
            run.deployments.remove(blue)
            run.deployments.insert(0, blue)
            blue.status = "PRIMARY"
            run.service.task_definition = blue.task_definition
            run.event(events.rolling_back(run.name, green.id, blue.id))
        actions: list[Action] = []
        self._weights(run, green, 0.0, 0.0, actions)
        run.pending_actions.extend(actions)
        now = self.clock.monotonic()
        for task in green.alive():
            self.lifecycle.stop(task, f"Scaling activity initiated by (deployment {green.id})",
                            "ServiceSchedulerInitiated", now, run.pending_actions, run)

    def _step_shift_back(self, run: ServiceRun, sd: ServiceDeployment, now: float, actions: list[Action]) -> None:
        actions.extend(run.pending_actions)
        run.pending_actions.clear()
        green = next((d for d in run.deployments if d.service_deployment is sd and d.shift is not None), None)
        if green is None or all(t.last_status == "STOPPED" for t in green.tasks):
            sd.set_status(model.ROLLBACK_SUCCESSFUL)
            if green is not None:
                run.deployments.remove(green)
            run.event(events.steady_state(run.name))

    def continue_service_deployment(self, arn: str, hook_id: str | None, action: str) -> None:
        with self.lock:
            sd = self.service_deployments.get(arn)
            if sd is None:
                raise AwsError("ServiceDeploymentNotFoundException", f"Service deployment {arn} was not found.")
            waiting = [r for r in (sd.shift.runs if sd.shift else []) if r.status == "AWAITING_ACTION"
                       and (not hook_id or r.id == hook_id)]
            if not waiting or sd.status != model.IN_PROGRESS:
                raise AwsError("InvalidParameterException",
                               "The service deployment is not waiting at a lifecycle hook with this hookId.")
            for run in waiting:
                run.status = "SUCCEEDED" if action == "CONTINUE" else "FAILED"

    # -- task sets (CODE_DEPLOY, EXTERNAL) -----------------------------------------------------

    def _new_task_set(self, run: ServiceRun, task_definition: str, external_id: str | None,
                      load_balancers: list[dict[str, Any]], scale: dict[str, Any], *, started_by: str,
                      launch_type: str | None, network: dict[str, Any] | None) -> TaskSet:
        service = run.service
        definition = self.backend.describe_task_definition(task_definition)
        set_id = "ecs-svc/" + "".join(secrets.choice("0123456789") for _ in range(19))
        task_set = TaskSet(set_id, self.arn("task-set", f"{service.cluster_name}/{service.name}/{set_id}"),
                           service.arn, service.cluster_arn, definition.arn, external_id, started_by,
                           launch_type or service.launch_type, network, load_balancers, scale)
        run.task_sets.append(task_set)
        return task_set

    def create_task_set(self, service: Any, params: dict[str, Any], task_definition: str) -> TaskSet:
        with self.lock:
            run = self.runs.get(service.arn)
            if run is None:
                raise AwsError("ServiceNotFoundException", "Service not found.")
            if controller(service) not in ("CODE_DEPLOY", "EXTERNAL"):
                raise AwsError("InvalidParameterException",
                               "Task sets are only supported for services using the CODE_DEPLOY or EXTERNAL "
                               "deployment controller.")
            task_set = self._new_task_set(
                run, task_definition, params.get("externalId"), list(params.get("loadBalancers") or []),
                dict(params.get("scale") or {"value": 100.0, "unit": "PERCENT"}),
                started_by=str(params.get("externalId") or ""), launch_type=params.get("launchType"),
                network=params.get("networkConfiguration") or getattr(service, "network_configuration", None))
            snapshot.publish(run)
            return task_set

    def task_set(self, service: Any, reference: str) -> tuple[ServiceRun, TaskSet]:
        run = self.runs.get(service.arn)
        found = next((ts for ts in (run.task_sets if run else []) if reference in (ts.id, ts.arn)), None)
        if run is None or found is None:
            raise AwsError("TaskSetNotFoundException", f"The specified task set {reference} does not exist.")
        return run, found

    def update_primary_task_set(self, service: Any, reference: str) -> TaskSet:
        with self.lock:
            run, primary = self.task_set(service, reference)
            for task_set in run.task_sets:
                if task_set.status == "PRIMARY":
                    task_set.status, task_set.updated_at = "ACTIVE", utcnow()
            primary.status, primary.updated_at = "PRIMARY", utcnow()
            snapshot.publish(run)
            return primary

    def update_task_set(self, service: Any, reference: str, scale: dict[str, Any]) -> TaskSet:
        with self.lock:
            run, task_set = self.task_set(service, reference)
            task_set.scale, task_set.updated_at = dict(scale), utcnow()
            task_set.stability = "STABILIZING"
            snapshot.publish(run)
            return task_set

    def delete_task_set(self, service: Any, reference: str, force: bool) -> TaskSet:
        with self.lock:
            run, task_set = self.task_set(service, reference)
            if task_set.status == "PRIMARY" and not force:
                raise AwsError("InvalidParameterException", "The primary task set cannot be deleted.")
            task_set.status, task_set.updated_at = "DRAINING", utcnow()
            snapshot.publish(run)
            return task_set

    def _step_task_sets(self, run: ServiceRun, now: float, actions: list[Action]) -> None:
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
                    self.lifecycle.stop(task, f"Task failed ELB health checks in (target-group {task.registered[0]})",
                                    "ServiceSchedulerInitiated", now, actions, run, failed=True)
            alive = task_set.alive()
            need = task_set.computed - len(alive)
            if need > 0 and now >= run.backoff_until:
                definition = self.backend.describe_task_definition(task_set.task_definition)
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

    # -- alarms --------------------------------------------------------------------------------

    def _alarm_checks(self) -> None:
        import time

        real = time.monotonic()
        with self.lock:
            due = []
            for run in self.runs.values():
                if not run.deployments or run.alarm_next > real:
                    continue
                sd = run.deployments[0].service_deployment
                names = list((sd.configuration.get("alarms") or {}).get("alarmNames") or [])
                if sd.alarms_status == "MONITORING" and names and not run.deployments[0].rollback \
                        and run.deployments[0].rollout_state == "IN_PROGRESS":
                    run.alarm_next = real + ALARM_POLL
                    due.append((run, sd, names))
        for run, sd, names in due:
            try:
                alarms = self.client("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
            except Exception:
                log.exception("DescribeAlarms for %s failed", run.name)
                continue
            with self.lock:
                bake = max([float(a.get("Period") or 60) * int(a.get("EvaluationPeriods") or 1) for a in alarms]
                           or [DEFAULT_ALARM_BAKE])
                run.alarm_bake = bake
                triggered = [a["AlarmName"] for a in alarms if a.get("StateValue") == "ALARM"]
                if triggered and sd.alarms_status == "MONITORING":
                    sd.triggered_alarms = triggered

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
        self._alarm_checks()


def _advanced(service: Any) -> dict[str, Any] | None:
    for load_balancer in service.load_balancers or []:
        if load_balancer.get("advancedConfiguration"):
            return dict(load_balancer["advancedConfiguration"])
    return None


def _merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        merged[key] = copy.deepcopy(value)
    return merged

