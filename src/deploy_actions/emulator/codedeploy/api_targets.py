"""Deployment instances and targets: what ran where, with each lifecycle event's diagnostics.

Both the current API (ListDeploymentTargets, GetDeploymentTarget, BatchGetDeploymentTargets) and
the deprecated one (ListDeploymentInstances, GetDeploymentInstance, BatchGetDeploymentInstances)
read the same records, so a hook's log tail is the same whichever a client uses.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult

from deploy_actions.emulator.codedeploy import state
from deploy_actions.emulator.codedeploy.errors import no_deployment, required
from deploy_actions.emulator.core.errors import AwsError

Handler = Any


def _run(self: Handler) -> tuple[Any, state.DeploymentRun]:
    backend = state.backend(self.current_account, self.region)
    deployment_id = self._get_param("deploymentId")
    if not deployment_id:
        raise required("DeploymentId")
    deployment = backend.deployments.get(deployment_id)
    run = state.extras(backend).runs.get(deployment_id)
    if deployment is None or run is None:
        raise no_deployment(deployment_id)
    if deployment.status == "Created" and not run.targets:
        raise AwsError("DeploymentNotStartedException", "The specified deployment has not started.")
    return deployment, run


def _target_api(target: state.TargetRecord) -> dict[str, Any]:
    described: dict[str, Any] = {
        "deploymentId": target.deployment_id, "targetId": target.instance_id, "targetArn": target.arn,
        "status": target.status, "lastUpdatedAt": target.last_updated,
        "lifecycleEvents": [event.as_api() for event in target.events],
    }
    if target.target_type == "ECSTarget":
        described["taskSetsInfo"] = list(target.task_sets)
        return {"deploymentTargetType": "ECSTarget", "ecsTarget": described}
    if target.instance_label:
        described["instanceLabel"] = target.instance_label
    return {"deploymentTargetType": "InstanceTarget", "instanceTarget": described}


def _instance_api(target: state.TargetRecord) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "deploymentId": target.deployment_id, "instanceId": target.arn, "status": target.status,
        "lastUpdatedAt": target.last_updated, "lifecycleEvents": [event.as_api() for event in target.events],
    }
    if target.instance_label:
        summary["instanceType"] = target.instance_label
    return summary


def _find(run: state.DeploymentRun, target_id: str) -> state.TargetRecord | None:
    """Targets are named by instance id; the deprecated API also accepts the instance's ARN."""
    return run.targets.get(target_id.rsplit("/", 1)[-1])


def list_deployment_targets(self: Handler) -> ActionResult:
    _, run = _run(self)
    filters = self._get_param("targetFilters") or {}
    statuses, labels = filters.get("TargetStatus"), filters.get("ServerInstanceLabel")
    with state.LOCK:
        ids = [t.instance_id for t in run.targets.values()
               if (not statuses or t.status in statuses) and (not labels or t.instance_label in labels)]
    return ActionResult({"targetIds": ids})


def get_deployment_target(self: Handler) -> ActionResult:
    _, run = _run(self)
    target_id = self._get_param("targetId")
    if not target_id:
        raise AwsError("DeploymentTargetIdRequiredException", "A deployment target ID is required.")
    with state.LOCK:
        target = _find(run, target_id)
        if target is None:
            raise AwsError("DeploymentTargetDoesNotExistException", f"The target {target_id} does not exist.")
        return ActionResult({"deploymentTarget": _target_api(target)})


def batch_get_deployment_targets(self: Handler) -> ActionResult:
    _, run = _run(self)
    ids = self._get_param("targetIds") or []
    if len(ids) > 25:
        raise AwsError("DeploymentTargetListSizeExceededException", "The maximum number of targets is 25.")
    with state.LOCK:
        found = []
        for target_id in ids:
            target = _find(run, target_id)
            if target is None:
                raise AwsError("DeploymentTargetDoesNotExistException", f"The target {target_id} does not exist.")
            found.append(_target_api(target))
    return ActionResult({"deploymentTargets": found})


def list_deployment_instances(self: Handler) -> ActionResult:
    _, run = _run(self)
    statuses = self._get_param("instanceStatusFilter")
    kinds = self._get_param("instanceTypeFilter")
    with state.LOCK:
        ids = [t.instance_id for t in run.targets.values()
               if (not statuses or t.status in statuses) and (not kinds or t.instance_label in kinds)]
    return ActionResult({"instancesList": ids})


def get_deployment_instance(self: Handler) -> ActionResult:
    _, run = _run(self)
    instance_id = self._get_param("instanceId")
    if not instance_id:
        raise AwsError("InstanceIdRequiredException", "An instance ID is required.")
    with state.LOCK:
        target = _find(run, instance_id)
        if target is None:
            raise AwsError("InstanceDoesNotExistException", f"The instance {instance_id} does not exist.")
        return ActionResult({"instanceSummary": _instance_api(target)})


def batch_get_deployment_instances(self: Handler) -> ActionResult:
    _, run = _run(self)
    ids = self._get_param("instanceIds") or []
    if len(ids) > 25:
        raise AwsError("BatchLimitExceededException", "The maximum number of instance IDs is 25.")
    with state.LOCK:
        found = [_instance_api(t) for t in (_find(run, i) for i in ids) if t is not None]
        missing = [i for i in ids if _find(run, i) is None]
    result: dict[str, Any] = {"instancesSummary": found}
    if missing:
        result["errorMessage"] = f"Instances not found: {', '.join(missing)}"
    return ActionResult(result)


HANDLERS = {
    "list_deployment_targets": list_deployment_targets,
    "get_deployment_target": get_deployment_target,
    "batch_get_deployment_targets": batch_get_deployment_targets,
    "list_deployment_instances": list_deployment_instances,
    "get_deployment_instance": get_deployment_instance,
    "batch_get_deployment_instances": batch_get_deployment_instances,
}
