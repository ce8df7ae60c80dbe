"""CodeDeploy deployment operations: moto's, completed with what AWS returns, plus stop/continue.

CreateDeployment hands the new deployment to the emulator's lifecycle engine; GetDeployment and
BatchGetDeployments add errorInformation, rollbackInfo, previousRevision and the overview the engine
keeps; StopDeployment, ContinueDeployment and UpdateDeploymentGroup are new.
"""

from __future__ import annotations

from typing import Any, cast

from moto.codedeploy import responses as moto_responses
from moto.core.responses import ActionResult, EmptyResult

from deploy_actions.emulator.codedeploy import state
from deploy_actions.emulator.codedeploy.engine import Engine
from deploy_actions.emulator.codedeploy.errors import no_application, no_deployment, no_deployment_group, required
from deploy_actions.emulator.core import runtime
from deploy_actions.emulator.core.errors import AwsError

Handler = Any
_moto_create_deployment = moto_responses.CodeDeployResponse.create_deployment
_moto_get_deployment_group = moto_responses.CodeDeployResponse.get_deployment_group
COMPLETED = ("Succeeded", "Failed", "Stopped")


def _engine() -> Engine:
    engine = runtime.current(Engine)
    if engine is None:
        raise AwsError("InternalFailure", "This operation needs the deploy-actions emulator.")
    return engine


def deployment_info(backend: Any, deployment: Any) -> dict[str, Any]:
    info: dict[str, Any] = moto_responses._deployment_info(deployment)
    run = state.extras(backend).runs.get(deployment.deployment_id)
    info["deploymentConfigName"] = str(deployment.deployment_config_name)
    info["alarmConfiguration"] = deployment.deployment_group.alarm_configuration or {}
    for key in ("errorInformation", "rollbackInfo", "previousRevision", "relatedDeployments",
                "additionalDeploymentStatusInfo", "targetInstances", "overrideAlarmConfiguration",
                "autoRollbackConfiguration", "fileExistsBehavior", "externalId", "description"):
        if not info.get(key):
            info.pop(key, None)
    for key in ("startTime", "completeTime"):
        if info.get(key) is None:
            info.pop(key, None)
    if run is not None:
        with state.LOCK:
            if run.error_information:
                info["errorInformation"] = dict(run.error_information)
            if run.rollback_info:
                info["rollbackInfo"] = dict(run.rollback_info)
            if run.previous_revision:
                info["previousRevision"] = run.previous_revision
            info["deploymentStatusMessages"] = list(run.status_messages)
            info["instanceTerminationWaitTimeStarted"] = run.termination_wait_started
    return info


def create_deployment(self: Handler) -> ActionResult:
    engine = runtime.current(Engine)
    if engine is None:  # moto used directly in this process (mock_aws): moto's own behaviour
        return _moto_create_deployment(self)
    backend = state.backend(self.current_account, self.region)
    application = self._get_param("applicationName")
    group = self._get_param("deploymentGroupName")
    if not application:
        raise required("ApplicationName")
    if application not in backend.applications:
        raise no_application(application)
    if not group:
        raise required("DeploymentGroupName")
    if group not in backend.deployment_groups.get(application, {}):
        raise no_deployment_group(group)
    revision = self._get_param("revision")
    if not revision:
        raise AwsError("RevisionRequiredException", "A revision is required.")
    config = self._get_param("deploymentConfigName")
    if config and config not in state.extras(backend).configs:
        raise AwsError("DeploymentConfigDoesNotExistException", f"No deployment configuration found for name: {config}")
    # One step for readers and for a concurrent CreateDeployment: moto's own id is never listed, and
    # two requests can never both find the group free.
    with state.LOCK:
        active = engine.active_deployment(application, group)
        if active is not None:
            raise AwsError("DeploymentLimitExceededException",
                           f"The Deployment Group '{group}' already has an active Deployment '{active}'")
        created = cast(dict[str, Any], _moto_create_deployment(self).result)
        return ActionResult({"deploymentId": engine.adopt(created["deploymentId"])})


def _deployment(self: Handler) -> tuple[Any, Any]:
    backend = state.backend(self.current_account, self.region)
    deployment_id = self._get_param("deploymentId")
    if not deployment_id:
        raise required("DeploymentId")
    found = backend.deployments.get(deployment_id)
    if found is None:
        raise no_deployment(deployment_id)
    return backend, found


def get_deployment(self: Handler) -> ActionResult:
    with state.LOCK:
        backend, deployment = _deployment(self)
        return ActionResult({"deploymentInfo": deployment_info(backend, deployment)})


def batch_get_deployments(self: Handler) -> ActionResult:
    backend = state.backend(self.current_account, self.region)
    ids = self._get_param("deploymentIds") or []
    if len(ids) > 25:
        raise AwsError("BatchLimitExceededException", "The maximum number of deployment IDs is 25.")
    with state.LOCK:
        found = [backend.deployments[i] for i in ids if i in backend.deployments]
        return ActionResult({"deploymentsInfo": [deployment_info(backend, d) for d in found]})


def list_deployments(self: Handler) -> ActionResult:
    """moto's filtering, oldest first.

    AWS documents no order for ListDeployments. The emulator answers oldest first - deterministic, and
    the opposite of the newest-first order callers tend to assume, so such an assumption fails here
    rather than in production; a caller wanting the newest compares createTime."""
    backend = state.backend(self.current_account, self.region)
    with state.LOCK:
        ids = backend.list_deployments(
            application_name=self._get_param("applicationName"),
            deployment_group_name=self._get_param("deploymentGroupName"),
            external_id=self._get_param("externalId"),
            include_only_statuses=self._get_param("includeOnlyStatuses"),
            create_time_range=self._get_param("createTimeRange", {}))
        order = {deployment_id: index for index, deployment_id in enumerate(backend.deployments)}
    return ActionResult({"deployments": sorted(ids, key=lambda i: order.get(i, 0))})


def stop_deployment(self: Handler) -> ActionResult:
    """Pending, as AWS answers while lifecycle events still run: the engine stops between events."""
    engine = _engine()
    with state.LOCK:
        backend, deployment = _deployment(self)
        if deployment.status in COMPLETED:
            raise AwsError("DeploymentAlreadyCompletedException", "The deployment is already complete.")
        run = state.extras(backend).runs[deployment.deployment_id]
    rollback = self._get_param("autoRollbackEnabled")
    engine.request_stop(run, None if rollback is None else bool(rollback))
    return ActionResult({"status": "Pending",
                         "statusMessage": "No more commands will be scheduled for execution in the deployment "
                                          "instances"})


def continue_deployment(self: Handler) -> EmptyResult:
    engine = _engine()
    backend, deployment = _deployment(self)
    wait_type = self._get_param("deploymentWaitType") or "READY_WAIT"
    if deployment.status in COMPLETED:
        raise AwsError("DeploymentAlreadyCompletedException", "The deployment is already complete.")
    run = state.extras(backend).runs[deployment.deployment_id]
    if wait_type == "READY_WAIT" and deployment.status != "Ready":
        raise AwsError("DeploymentIsNotInReadyStateException", "The deployment is not in the Ready state.")
    if wait_type == "TERMINATION_WAIT" and not run.termination_wait_started:
        raise AwsError("InvalidDeploymentWaitTypeException",
                       "The deployment is not waiting to terminate the original instances.")
    engine.request_continue(run, wait_type)
    return EmptyResult()


def get_deployment_group(self: Handler) -> ActionResult:
    backend = state.backend(self.current_account, self.region)
    with state.LOCK:
        return ActionResult({"deploymentGroupInfo": _deployment_group_info(self, backend)})


def _deployment_group_info(self: Handler, backend: Any) -> dict[str, Any]:
    info: dict[str, Any] = cast(dict[str, Any], _moto_get_deployment_group(self).result)["deploymentGroupInfo"]
    group = backend.deployment_groups[info["applicationName"]][info["deploymentGroupName"]]
    info["alarmConfiguration"] = group.alarm_configuration or {"enabled": False, "alarms": []}
    info["autoScalingGroups"] = [{"name": name, "hook": f"CodeDeploy-managed-automatic-launch-deployment-hook-"
                                  f"{info['deploymentGroupName']}"} for name in group.auto_scaling_groups]
    extras = state.extras(backend)
    for key, wanted in (("lastSuccessfulDeployment", ("Succeeded",)), ("lastAttemptedDeployment", None)):
        info.pop(key, None)
        for deployment in reversed(list(backend.deployments.values())):
            if deployment.application_name != info["applicationName"] \
                    or deployment.deployment_group_name != info["deploymentGroupName"]:
                continue
            if wanted is None or deployment.status in wanted:
                info[key] = {"deploymentId": deployment.deployment_id, "status": deployment.status,
                             "createTime": deployment.create_time}
                if deployment.complete_time:
                    info[key]["endTime"] = deployment.complete_time
                break
    last = extras.last_successful.get((info["applicationName"], info["deploymentGroupName"]))
    info["targetRevision"] = last[1] if last else {}
    if not info["targetRevision"]:
        info.pop("targetRevision")
    return info


UPDATABLE = {
    "deploymentConfigName": "deployment_config_name", "ec2TagFilters": "ec2_tag_filters",
    "onPremisesInstanceTagFilters": "on_premises_instance_tag_filters", "autoScalingGroups": "auto_scaling_groups",
    "serviceRoleArn": "service_role_arn", "triggerConfigurations": "trigger_configurations",
    "alarmConfiguration": "alarm_configuration", "autoRollbackConfiguration": "auto_rollback_configuration",
    "outdatedInstancesStrategy": "outdated_instances_strategy", "deploymentStyle": "deployment_style",
    "blueGreenDeploymentConfiguration": "blue_green_deployment_configuration",
    "loadBalancerInfo": "load_balancer_info", "ec2TagSet": "ec2_tag_set", "ecsServices": "ecs_services",
    "onPremisesTagSet": "on_premises_tag_set", "terminationHookEnabled": "termination_hook_enabled",
}


def update_deployment_group(self: Handler) -> ActionResult:
    backend = state.backend(self.current_account, self.region)
    application = self._get_param("applicationName")
    current = self._get_param("currentDeploymentGroupName")
    if application not in backend.applications:
        raise no_application(application)
    groups = backend.deployment_groups.get(application, {})
    if current not in groups:
        raise no_deployment_group(current)
    group = groups[current]
    config = self._get_param("deploymentConfigName")
    if config and config not in state.extras(backend).configs:
        raise AwsError("DeploymentConfigDoesNotExistException", f"No deployment configuration found for name: {config}")
    new_name = self._get_param("newDeploymentGroupName")
    with state.LOCK:
        if new_name and new_name != current:
            if new_name in groups:
                raise AwsError("DeploymentGroupAlreadyExistsException", f"Deployment group {new_name} already exists.")
            groups[new_name] = groups.pop(current)
            group.deployment_group_name = new_name
        for param, attribute in UPDATABLE.items():
            value = self._get_param(param)
            if value is not None:
                setattr(group, attribute, value)
    return ActionResult({"hooksNotCleanedUp": []})


HANDLERS = {
    "create_deployment": create_deployment,
    "get_deployment": get_deployment,
    "batch_get_deployments": batch_get_deployments,
    "list_deployments": list_deployments,
    "stop_deployment": stop_deployment,
    "continue_deployment": continue_deployment,
    "get_deployment_group": get_deployment_group,
    "update_deployment_group": update_deployment_group,
}
