"""ECS services as the engine keeps them: CreateService (AWS's deployment configuration defaults
filled in, the first rollout or a CODE_DEPLOY service's PRIMARY task set), UpdateService (a new
rollout for a new task definition, forceNewDeployment or a changed network or load balancer;
desiredCount alone scales the PRIMARY), DeleteService (every task stopped)."""

from __future__ import annotations

import copy
from typing import Any

from deploy_actions.emulator.ecs import snapshot
from deploy_actions.emulator.ecs.rollouts import Rollouts
from deploy_actions.emulator.ecs.service_run import Action, ServiceRun, controller, run_all
from deploy_actions.emulator.ecs.state import EcsState
from deploy_actions.emulator.ecs.task_lifecycle import TaskLifecycle
from deploy_actions.emulator.ecs.task_sets import TaskSets

DEFAULT_CONFIGURATION: dict[str, Any] = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200, "minimumHealthyPercent": 100, "strategy": "ROLLING",
}


class Services:
    def __init__(self, state: EcsState, lifecycle: TaskLifecycle, rollouts: Rollouts, task_sets: TaskSets) -> None:
        self.state, self.lifecycle, self.rollouts, self.task_sets = state, lifecycle, rollouts, task_sets

    def adopt(self, service: Any, params: dict[str, Any]) -> None:
        """A service moto just created: its deployment configuration kept, its first deployment started."""
        configuration = _merged(copy.deepcopy(DEFAULT_CONFIGURATION), params.get("deploymentConfiguration") or {})
        with self.state.lock:
            run = ServiceRun(service, configuration, float(params.get("healthCheckGracePeriodSeconds") or 0))
            service.deployment_configuration = configuration
            service.health_check_grace_period_seconds = params.get("healthCheckGracePeriodSeconds")
            self.state.runs[service.arn] = run
            if controller(service) == "ECS" and service.task_definition:
                self.rollouts.start(run, str(service.task_definition))
            elif controller(service) == "CODE_DEPLOY" and service.task_definition:
                # AWS starts a CODE_DEPLOY service with a PRIMARY task set of the service's own settings
                primary = self.task_sets.new(run, str(service.task_definition), None,
                                             list(service.load_balancers or []), {"value": 100.0, "unit": "PERCENT"},
                                             started_by="", launch_type=service.launch_type,
                                             network=getattr(service, "network_configuration", None) or None)
                primary.status = "PRIMARY"
            snapshot.publish(run)

    def update(self, service: Any, params: dict[str, Any], task_definition: str | None) -> None:
        with self.state.lock:
            run = self.state.runs.get(service.arn)
            if run is None:  # created before the emulator served ECS (moto directly): adopt it now
                self.adopt(service, {})
                run = self.state.runs[service.arn]
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
                self.rollouts.start(run, task_definition or str(service.task_definition))
            elif primary is not None:
                primary.desired = int(service.desired_count)
            run.frozen = False
            snapshot.publish(run)

    def delete(self, service: Any) -> None:
        with self.state.lock:
            run = self.state.runs.pop(service.arn, None)
            if run is None:
                return
            now = self.state.clock.monotonic()
            actions: list[Action] = []
            for tasks in [d.tasks for d in run.deployments] + [ts.tasks for ts in run.task_sets]:
                for task in [t for t in tasks if t.alive]:
                    self.lifecycle.stop(task, "Service deleted", "ServiceSchedulerInitiated", now, actions, run)
        run_all(actions)


def _merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        merged[key] = copy.deepcopy(value)
    return merged
