"""CodeDeploy: applications, groups, configs, deployments and their targets, revisions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from deploy_actions.core.aws import aws_failure, describe_client_error, error_code
from deploy_actions.core.errors import DeployActionsError, InputError, InputProblem

ACTIVE_STATUSES = ("Created", "Queued", "InProgress", "Baking", "Ready")
BATCH = 25  # the Batch* operations take at most 25 ids


class ActiveDeploymentExists(DeployActionsError):
    """The group already has a deployment in progress (DeploymentLimitExceededException)."""


class NoSuchDeployment(InputError):
    """GetDeployment does not know the id: a user's typo (exit 2), or a rollback AWS has only just created."""


def check_application(cd: Any, application: str) -> dict[str, Any]:
    try:
        info: dict[str, Any] = cd.get_application(applicationName=application)["application"]
        return info
    except (ClientError, BotoCoreError) as exc:
        if error_code(exc) in ("ApplicationDoesNotExistException", "InvalidApplicationNameException"):
            raise InputError.single("application", application, "no such CodeDeploy application in this "
                                    "region; create it, or check the name and region") from None
        raise aws_failure(f"reading application {application}", exc) from None


def deployment_group(cd: Any, application: str, group: str) -> dict[str, Any]:
    try:
        info: dict[str, Any] = cd.get_deployment_group(
            applicationName=application, deploymentGroupName=group)["deploymentGroupInfo"]
        return info
    except (ClientError, BotoCoreError) as exc:
        if error_code(exc) in ("DeploymentGroupDoesNotExistException", "InvalidDeploymentGroupNameException"):
            raise InputError.single("deployment-group", group, f"no such deployment group in application "
                                    f"{application}; check the name") from None
        raise aws_failure("reading the deployment group", exc) from None


def check_deployment_config(cd: Any, name: str) -> None:
    try:
        cd.get_deployment_config(deploymentConfigName=name)
    except (ClientError, BotoCoreError) as exc:
        if error_code(exc) in ("DeploymentConfigDoesNotExistException", "InvalidDeploymentConfigNameException"):
            raise InputError.single("deployment-config", name, "no such deployment configuration; use a "
                                    "built-in one such as CodeDeployDefault.OneAtATime or create it") from None
        raise aws_failure("reading the deployment configuration", exc) from None


def list_deployments(cd: Any, application: str, group: str, statuses: list[str] | tuple[str, ...],
                     limit: int | None = None, created_after: float | None = None) -> list[str]:
    """Deployment ids of the group in those statuses, in no promised order (ListDeployments documents none)."""
    ids: list[str] = []
    query: dict[str, Any] = {"applicationName": application, "deploymentGroupName": group,
                             "includeOnlyStatuses": list(statuses)}
    if created_after is not None:
        query["createTimeRange"] = {"start": datetime.fromtimestamp(created_after, UTC)}
    try:
        for page in cd.get_paginator("list_deployments").paginate(**query):
            ids.extend(page.get("deployments", []))
            if limit is not None and len(ids) >= limit:
                return ids[:limit]
    except (ClientError, BotoCoreError) as exc:
        raise aws_failure(f"listing the deployments of {application}/{group}", exc) from None
    return ids


# CreateDeployment's answers to bad input, by the input the user has to fix.
_INPUT_OF_ERROR = {
    "RevisionDoesNotExistException": "revision",
    "InvalidRevisionException": "revision",
    "InvalidDeploymentConfigNameException": "deployment-config",
    "DeploymentConfigDoesNotExistException": "deployment-config",
    "InvalidAutoRollbackConfigException": "auto-rollback",
    "InvalidFileExistsBehaviorException": "file-exists-behavior",
    "InvalidIgnoreApplicationStopFailuresValueException": "ignore-application-stop-failures",
}


def create_deployment(cd: Any, request: dict[str, Any]) -> str:
    try:
        return str(cd.create_deployment(**request)["deploymentId"])
    except (ClientError, BotoCoreError) as exc:
        code = error_code(exc)
        if code == "DeploymentLimitExceededException":
            raise ActiveDeploymentExists(describe_client_error(exc)) from None
        if code in _INPUT_OF_ERROR:
            raise InputError.single(_INPUT_OF_ERROR[code], None, describe_client_error(exc)) from None
        raise aws_failure("creating the deployment", exc) from None


def get_deployment(cd: Any, deployment_id: str) -> dict[str, Any]:
    try:
        info: dict[str, Any] = cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        return info
    except (ClientError, BotoCoreError) as exc:
        if error_code(exc) in ("DeploymentDoesNotExistException", "InvalidDeploymentIdException"):
            raise NoSuchDeployment([InputProblem("deployment-id", deployment_id, "no such deployment in this "
                                                 "region; check the id and region")]) from None
        raise aws_failure(f"reading deployment {deployment_id}", exc) from None


def batch_get_deployments(cd: Any, ids: list[str]) -> list[dict[str, Any]]:
    infos: list[dict[str, Any]] = []
    for start in range(0, len(ids), BATCH):
        try:
            answer = cd.batch_get_deployments(deploymentIds=ids[start:start + BATCH])
        except (ClientError, BotoCoreError) as exc:
            raise aws_failure("reading deployments", exc) from None
        infos.extend(answer.get("deploymentsInfo", []))
    return infos


def deployment_targets(cd: Any, deployment_id: str, ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Every target of the deployment (listed first unless `ids` are known); [] before it started."""
    try:
        if ids is None:
            ids = []
            for page in cd.get_paginator("list_deployment_targets").paginate(deploymentId=deployment_id):
                ids.extend(page.get("targetIds", []))
        targets: list[dict[str, Any]] = []
        for start in range(0, len(ids), BATCH):
            answer = cd.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=ids[start:start + BATCH])
            targets.extend(answer.get("deploymentTargets", []))
        return targets
    except (ClientError, BotoCoreError) as exc:
        if error_code(exc) == "DeploymentNotStartedException":
            return []
        raise aws_failure(f"listing the targets of {deployment_id}", exc) from None


def stop_deployment(cd: Any, deployment_id: str, rollback: bool) -> str:
    try:
        answer = cd.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=rollback)
        return str(answer.get("statusMessage") or answer.get("status") or "")
    except (ClientError, BotoCoreError) as exc:
        if error_code(exc) == "DeploymentAlreadyCompletedException":
            return "already completed"
        raise aws_failure(f"stopping deployment {deployment_id}", exc) from None


def continue_deployment(cd: Any, deployment_id: str, wait_type: str = "READY_WAIT") -> None:
    """READY_WAIT reroutes traffic; TERMINATION_WAIT ends the wait before the original fleet goes."""
    try:
        cd.continue_deployment(deploymentId=deployment_id, deploymentWaitType=wait_type)
    except (ClientError, BotoCoreError) as exc:
        raise aws_failure(f"continuing deployment {deployment_id}", exc) from None


def register_revision(cd: Any, application: str, revision: dict[str, Any], description: str | None) -> None:
    try:
        cd.register_application_revision(applicationName=application, revision=revision,
                                         description=description or "")
    except (ClientError, BotoCoreError) as exc:
        raise aws_failure(f"registering the revision with {application}", exc) from None
