"""ECS service operations: moto's service records, driven by the emulator's ECS engine.

CreateService keeps `deploymentConfiguration` and starts the first deployment; UpdateService creates
a new PRIMARY deployment beside the ACTIVE one (new task definition, forceNewDeployment, network or
load balancer change); DescribeServices is moto's, reading the snapshot the engine writes on each
service; DeleteService stops the service's tasks. The Service Deployment APIs are new.
Each function becomes a method of moto's `EC2ContainerServiceResponse` (see `extensions.py`).
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.ecs import responses as moto_responses

from deploy_actions.emulator.core import runtime
from deploy_actions.emulator.core.errors import AwsError
from deploy_actions.emulator.ecs import bluegreen
from deploy_actions.emulator.ecs.engine import EcsEngine
from deploy_actions.emulator.ecs.service_run import controller

Handler = Any
_moto = moto_responses.EC2ContainerServiceResponse
_moto_create_service = _moto.create_service
_moto_update_service = _moto.update_service
_moto_delete_service = _moto.delete_service
_moto_create_task_set = _moto.create_task_set
_moto_describe_task_sets = _moto.describe_task_sets
_moto_update_service_primary_task_set = _moto.update_service_primary_task_set
_moto_update_task_set = _moto.update_task_set
_moto_delete_task_set = _moto.delete_task_set


def _engine() -> EcsEngine:
    engine = runtime.current(EcsEngine)
    if engine is None:
        raise AwsError("UnsupportedFeatureException", "This operation needs the deploy-actions emulator.")
    return engine


def _check_configuration(self: Handler) -> None:
    problem = bluegreen.invalid_configuration(self._get_param("deploymentConfiguration") or {})
    if problem:
        raise AwsError("InvalidParameterException", problem)


def create_service(self: Handler) -> ActionResult:
    engine = runtime.current(EcsEngine)
    if engine is not None:
        _check_configuration(self)
    network = (self._get_param("networkConfiguration") or {}).get("awsvpcConfiguration")
    if engine is not None and isinstance(network, dict) and "securityGroups" not in network:
        network["securityGroups"] = []  # optional on AWS (the VPC's default group); moto needs the key
    created = _moto_create_service(self)
    if engine is not None:
        service = created.result["service"]  # type: ignore[index]
        engine.services.adopt(service, self._get_params())
    return created


def update_service(self: Handler) -> ActionResult:
    engine = runtime.current(EcsEngine)
    if engine is None:
        return _moto_update_service(self)
    _check_configuration(self)
    params = self._get_params()
    cluster = params.get("cluster") or "default"
    service = self.ecs_backend._get_service(cluster, str(params.get("service", "")).split("/")[-1])
    if controller(service) == "CODE_DEPLOY" and params.get("taskDefinition"):
        raise AwsError("InvalidParameterException",
                       "Unable to update task definition on services with a CODE_DEPLOY deployment controller. "
                       "Use AWS CodeDeploy to trigger a new deployment.")
    task_definition = None
    if params.get("taskDefinition"):
        task_definition = self.ecs_backend.describe_task_definition(params["taskDefinition"]).arn
    engine.services.update(service, params, task_definition)
    return ActionResult({"service": service})


def delete_service(self: Handler) -> ActionResult:
    engine = runtime.current(EcsEngine)
    if engine is not None:
        service = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("service"))
        if int(service.desired_count) > 0 and not self._get_param("force", False):
            raise AwsError("InvalidParameterException", "The service cannot be stopped while it is scaled above 0.")
        engine.services.delete(service)
    return _moto_delete_service(self)


def list_service_deployments(self: Handler) -> ActionResult:
    engine = _engine()
    service = self.ecs_backend._get_service(self._get_param("cluster", "default"),
                                            str(self._get_param("service", "")).split("/")[-1])
    statuses = self._get_param("status") or []
    created = self._get_param("createdAt") or {}
    with engine.lock:
        found = [sd for sd in engine.service_deployments.values() if sd.service_arn == service.arn
                 and (not statuses or sd.status in statuses)
                 and (created.get("before") is None or sd.created_at < _time(created["before"]))
                 and (created.get("after") is None or sd.created_at > _time(created["after"]))]
        found.sort(key=lambda sd: sd.created_at, reverse=True)  # newest first, as AWS lists them
        start = int(self._get_param("nextToken") or 0)
        size = int(self._get_param("maxResults") or 20)
        page = [sd.brief() for sd in found[start:start + size]]
    result: dict[str, Any] = {"serviceDeployments": page}
    if start + size < len(found):
        result["nextToken"] = str(start + size)
    return ActionResult(result)


def describe_service_deployments(self: Handler) -> ActionResult:
    engine = _engine()
    arns = self._get_param("serviceDeploymentArns") or []
    with engine.lock:
        found, failures = [], []
        for arn in arns:
            sd = engine.service_deployments.get(arn)
            if sd is None:
                failures.append({"arn": arn, "reason": "MISSING", "detail": "Service deployment not found."})
            else:
                found.append(sd.as_api())
    return ActionResult({"serviceDeployments": found, "failures": failures})


def describe_service_revisions(self: Handler) -> ActionResult:
    engine = _engine()
    arns = self._get_param("serviceRevisionArns") or []
    with engine.lock:
        found = [engine.revisions[arn] for arn in arns if arn in engine.revisions]
        failures = [{"arn": arn, "reason": "MISSING", "detail": "Service revision not found."}
                    for arn in arns if arn not in engine.revisions]
    return ActionResult({"serviceRevisions": found, "failures": failures})


def stop_service_deployment(self: Handler) -> ActionResult:
    engine = _engine()
    arn = self._get_param("serviceDeploymentArn")
    stop_type = self._get_param("stopType") or "ROLLBACK"
    if stop_type not in ("ABORT", "ROLLBACK"):
        raise AwsError("InvalidParameterException", f"stopType must be ABORT or ROLLBACK, not {stop_type}.")
    engine.rollouts.request_stop(str(arn), stop_type)
    return ActionResult({"serviceDeploymentArn": arn})


def continue_service_deployment(self: Handler) -> ActionResult:
    engine = _engine()
    arn = self._get_param("serviceDeploymentArn")
    action = self._get_param("action") or "CONTINUE"
    if action not in ("CONTINUE", "ROLLBACK"):
        raise AwsError("InvalidParameterException", f"action must be CONTINUE or ROLLBACK, not {action}.")
    engine.blue_green.continue_deployment(str(arn), self._get_param("hookId"), action)
    return ActionResult({"serviceDeploymentArn": arn})


def _service(self: Handler) -> Any:
    return self.ecs_backend._get_service(self._get_param("cluster", "default"),
                                         str(self._get_param("service", "")).split("/")[-1])


def create_task_set(self: Handler) -> ActionResult:
    engine = runtime.current(EcsEngine)
    if engine is None:
        return _moto_create_task_set(self)
    service = _service(self)
    definition = self.ecs_backend.describe_task_definition(self._get_param("taskDefinition")).arn
    task_set = engine.task_sets.create(service, self._get_params(), definition)
    with engine.lock:
        return ActionResult({"taskSet": task_set.as_api()})


def describe_task_sets(self: Handler) -> ActionResult:
    engine = runtime.current(EcsEngine)
    if engine is None:
        return _moto_describe_task_sets(self)
    service = _service(self)
    wanted = self._get_param("taskSets") or []
    with engine.lock:
        run = engine.runs.get(service.arn)
        sets = run.task_sets if run else []
        found = [ts.as_api() for ts in sets if not wanted or ts.id in wanted or ts.arn in wanted]
        known = {ts.id for ts in sets} | {ts.arn for ts in sets}
        failures = [{"arn": ref, "reason": "MISSING"} for ref in wanted if ref not in known]
    return ActionResult({"taskSets": found, "failures": failures})


def update_service_primary_task_set(self: Handler) -> ActionResult:
    engine = runtime.current(EcsEngine)
    if engine is None:
        return _moto_update_service_primary_task_set(self)
    task_set = engine.task_sets.update_primary(_service(self), str(self._get_param("primaryTaskSet")))
    with engine.lock:
        return ActionResult({"taskSet": task_set.as_api()})


def update_task_set(self: Handler) -> ActionResult:
    engine = runtime.current(EcsEngine)
    if engine is None:
        return _moto_update_task_set(self)
    task_set = engine.task_sets.update(_service(self), str(self._get_param("taskSet")), self._get_param("scale") or {})
    with engine.lock:
        return ActionResult({"taskSet": task_set.as_api()})


def delete_task_set(self: Handler) -> ActionResult:
    engine = runtime.current(EcsEngine)
    if engine is None:
        return _moto_delete_task_set(self)
    task_set = engine.task_sets.delete(_service(self), str(self._get_param("taskSet")),
                                      bool(self._get_param("force", False)))
    with engine.lock:
        return ActionResult({"taskSet": task_set.as_api()})


def _time(value: Any) -> Any:
    from datetime import UTC, datetime

    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=UTC).replace(tzinfo=None)
    return value


HANDLERS = {
    "create_service": create_service,
    "update_service": update_service,
    "delete_service": delete_service,
    "list_service_deployments": list_service_deployments,
    "describe_service_deployments": describe_service_deployments,
    "describe_service_revisions": describe_service_revisions,
    "stop_service_deployment": stop_service_deployment,
    "continue_service_deployment": continue_service_deployment,
    "create_task_set": create_task_set,
    "describe_task_sets": describe_task_sets,
    "update_service_primary_task_set": update_service_primary_task_set,
    "update_task_set": update_task_set,
    "delete_task_set": delete_task_set,
}


