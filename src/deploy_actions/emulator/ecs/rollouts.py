"""A service deployment (rollout) started and completed: the new service revision, its
ServiceDeployment (circuit breaker and alarms monitoring) and PRIMARY deployment — with a planned
traffic shift when the strategy is BLUE_GREEN, LINEAR or CANARY and the load balancer names an
alternate target group — and StopServiceDeployment's request, carried out by the next step.
"""

from __future__ import annotations

import copy
import secrets
from typing import Any

from moto.core.utils import utcnow

from deploy_actions.emulator.core.errors import AwsError
from deploy_actions.emulator.ecs import bluegreen, events, model
from deploy_actions.emulator.ecs.model import Deployment, ServiceDeployment, breaker_threshold
from deploy_actions.emulator.ecs.service_run import ServiceRun
from deploy_actions.emulator.ecs.state import EcsState


class Rollouts:
    def __init__(self, state: EcsState) -> None:
        self.state = state

    def _revision(self, run: ServiceRun, task_definition: str) -> str:
        service = run.service
        arn = self.state.arn("service-revision", f"{service.cluster_name}/{service.name}/"
                             + "".join(secrets.choice("0123456789") for _ in range(19)))
        definition = self.state.backend.describe_task_definition(task_definition)
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
        self.state.revisions[arn] = revision
        return arn

    def start(self, run: ServiceRun, task_definition: str) -> None:
        service = run.service
        definition = self.state.backend.describe_task_definition(task_definition)
        service.task_definition = definition.arn
        revision = self._revision(run, definition.arn)
        # Blue is the service's current revision, with tasks or without (AWS: "the current production service
        # revision"): the first deployment with live tasks, else the PRIMARY. Other deployments without tasks go.
        blue = next((d for d in run.deployments if d.alive()), run.deployments[0] if run.deployments else None)
        run.deployments = [d for d in run.deployments if d.alive() or d is blue]
        if run.current is not None and run.current.status not in model.FINISHED:
            run.current.set_status(model.STOPPED, "Service deployment superseded by a newer service deployment.")
        configuration = copy.deepcopy(run.configuration)
        sd = ServiceDeployment(
            self.state.arn("service-deployment", f"{service.cluster_name}/{service.name}/{model.random_id()}"),
            service.arn, service.cluster_arn, revision, [d.revision for d in run.deployments], configuration)
        breaker = configuration.get("deploymentCircuitBreaker") or {}
        desired = int(service.desired_count)
        if breaker.get("enable"):
            sd.breaker_status, sd.threshold = "MONITORING", breaker_threshold(breaker, desired)
        if (configuration.get("alarms") or {}).get("enable"):
            sd.alarms_status = "MONITORING"
        sd.set_status(model.IN_PROGRESS)
        sd.started_at = utcnow()
        self.state.service_deployments[sd.arn] = sd
        for deployment in run.deployments:
            deployment.status = "ACTIVE"
        network = getattr(service, "network_configuration", None) or None
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

    def request_stop(self, arn: str, stop_type: str) -> None:
        """StopServiceDeployment: ROLLBACK or ABORT, carried out by the service's next step."""
        with self.state.lock:
            sd = self.state.service_deployments.get(arn)
            if sd is None:
                raise AwsError("ServiceDeploymentNotFoundException", f"Service deployment {arn} was not found.")
            if sd.status not in (model.PENDING, model.IN_PROGRESS):
                raise AwsError("ConflictException", f"The service deployment is {sd.status} and can't be stopped.")
            run = self.state.runs.get(sd.service_arn)
            if run is None or run.current is not sd:
                raise AwsError("ConflictException", "The service deployment is not the service's current one.")
            if stop_type == "ROLLBACK":
                # rolling: back to the last successfully deployed revision; blue/green: back to the blue
                # revision it shifts from (the service's current one, completed or not)
                if run.last_completed is None and sd.shift is None:
                    raise AwsError("InvalidParameterException",
                                   "There is no successful service revision to roll back to.")
                sd.set_status(model.ROLLBACK_REQUESTED)
            else:
                sd.set_status(model.STOP_REQUESTED)
            run.requested = stop_type


def complete(run: ServiceRun, primary: Deployment) -> None:
    """The rollout is done (rolling: the PRIMARY's tasks healthy and every older one stopped; blue/green:
    after CLEAN_UP): its revision is the one a later rollback returns to."""
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


def _advanced(service: Any) -> dict[str, Any] | None:
    for load_balancer in service.load_balancers or []:
        if load_balancer.get("advancedConfiguration"):
            return dict(load_balancer["advancedConfiguration"])
    return None
