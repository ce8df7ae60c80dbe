"""Thin CodeDeploy calls with errors translated at the boundary into plain words."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from deploy_actions.codedeploy.state import ACTIVE_STATUSES, DeploymentState, TargetState, parse_target
from deploy_actions.core.aws import aws_failure, describe_client_error
from deploy_actions.core.errors import DeployActionsError, InputError

_BATCH = 25


class ActiveDeploymentExists(DeployActionsError):
    """The group already has a deployment in progress (DeploymentLimitExceededException)."""


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def check_application(cd: Any, application: str) -> dict[str, Any]:
    try:
        info: dict[str, Any] = cd.get_application(applicationName=application)["application"]
        return info
    except ClientError as exc:
        if _code(exc) in ("ApplicationDoesNotExistException", "InvalidApplicationNameException"):
            raise InputError.single("application", application, "no such CodeDeploy application in this "
                                    "region; check the name and region") from None
        raise aws_failure("reading the application", exc) from None


def deployment_group(cd: Any, application: str, group: str) -> dict[str, Any]:
    try:
        info: dict[str, Any] = cd.get_deployment_group(
            applicationName=application, deploymentGroupName=group)["deploymentGroupInfo"]
        return info
    except ClientError as exc:
        if _code(exc) in ("DeploymentGroupDoesNotExistException", "InvalidDeploymentGroupNameException"):
            raise InputError.single("deployment-group", group, f"no such deployment group in application "
                                    f"{application}; check the name") from None
        raise aws_failure("reading the deployment group", exc) from None


def check_deployment_config(cd: Any, name: str) -> None:
    try:
        cd.get_deployment_config(deploymentConfigName=name)
    except ClientError as exc:
        if _code(exc) in ("DeploymentConfigDoesNotExistException", "InvalidDeploymentConfigNameException"):
            raise InputError.single("deployment-config", name, "no such deployment configuration; use a "
                                    "built-in one such as CodeDeployDefault.OneAtATime or create it") from None
        raise aws_failure("reading the deployment configuration", exc) from None


def active_deployments(cd: Any, application: str, group: str) -> list[str]:
    ids: list[str] = []
    paginator = cd.get_paginator("list_deployments")
    for page in paginator.paginate(applicationName=application, deploymentGroupName=group,
                                   includeOnlyStatuses=list(ACTIVE_STATUSES)):
        ids.extend(page.get("deployments", []))
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
    except ClientError as exc:
        code = _code(exc)
        if code == "DeploymentLimitExceededException":
            raise ActiveDeploymentExists(describe_client_error(exc)) from None
        if code in _INPUT_OF_ERROR:
            raise InputError.single(_INPUT_OF_ERROR[code], None, describe_client_error(exc)) from None
        raise aws_failure("creating the deployment", exc) from None


def get_deployment(cd: Any, deployment_id: str) -> dict[str, Any]:
    try:
        info: dict[str, Any] = cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        return info
    except ClientError as exc:
        if _code(exc) in ("DeploymentDoesNotExistException", "InvalidDeploymentIdException"):
            raise InputError.single("deployment-id", deployment_id, "no such deployment") from None
        raise aws_failure(f"reading deployment {deployment_id}", exc) from None


def fetch_state(cd: Any, deployment_id: str, with_targets: bool = True,
                known_target_ids: list[str] | None = None) -> DeploymentState:
    """The deployment and its targets; `known_target_ids` saves the listing when the count still matches."""
    info = get_deployment(cd, deployment_id)
    state = DeploymentState(id=deployment_id, status=str(info.get("status", "Unknown")), info=info)
    if with_targets:
        total = sum((info.get("deploymentOverview") or {}).values())
        ids = known_target_ids if known_target_ids and len(known_target_ids) == total else None
        state.targets = list_targets(cd, deployment_id, ids)
    return state


def list_targets(cd: Any, deployment_id: str, ids: list[str] | None = None) -> list[TargetState]:
    try:
        if ids is None:
            ids = []
            for page in cd.get_paginator("list_deployment_targets").paginate(deploymentId=deployment_id):
                ids.extend(page.get("targetIds", []))
        targets: list[TargetState] = []
        for start in range(0, len(ids), _BATCH):
            answer = cd.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=ids[start:start + _BATCH])
            targets.extend(parse_target(t) for t in answer.get("deploymentTargets", []))
        return sorted(targets, key=_deployment_order)
    except ClientError as exc:
        if _code(exc) == "DeploymentNotStartedException":
            return []
        raise aws_failure(f"listing the targets of {deployment_id}", exc) from None


def _deployment_order(target: TargetState) -> tuple[str, bool, float, str]:
    """Fleet, then the order CodeDeploy reached the targets in (not yet started last), then id."""
    started = [e.start.timestamp() for e in target.events if e.start is not None]
    return (target.label or "", not started, min(started, default=0.0), target.id)


def stop_deployment(cd: Any, deployment_id: str, rollback: bool) -> str:
    try:
        answer = cd.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=rollback)
        return str(answer.get("statusMessage") or answer.get("status") or "")
    except ClientError as exc:
        if _code(exc) == "DeploymentAlreadyCompletedException":
            return "already completed"
        raise aws_failure(f"stopping deployment {deployment_id}", exc) from None


def continue_deployment(cd: Any, deployment_id: str, wait_type: str = "READY_WAIT") -> None:
    """READY_WAIT reroutes traffic; TERMINATION_WAIT ends the wait before the original fleet goes."""
    try:
        cd.continue_deployment(deploymentId=deployment_id, deploymentWaitType=wait_type)
    except ClientError as exc:
        raise aws_failure(f"continuing deployment {deployment_id}", exc) from None


def batch_get_deployments(cd: Any, ids: list[str]) -> list[dict[str, Any]]:
    infos: list[dict[str, Any]] = []
    for start in range(0, len(ids), _BATCH):
        try:
            answer = cd.batch_get_deployments(deploymentIds=ids[start:start + _BATCH])
        except ClientError as exc:
            raise aws_failure("reading deployments", exc) from None
        infos.extend(answer.get("deploymentsInfo", []))
    return infos


def recent_deployments(cd: Any, application: str, group: str, statuses: list[str], limit: int = 50) -> list[str]:
    """Newest first, as ListDeployments returns them."""
    ids: list[str] = []
    for page in cd.get_paginator("list_deployments").paginate(
            applicationName=application, deploymentGroupName=group, includeOnlyStatuses=statuses):
        ids.extend(page.get("deployments", []))
        if len(ids) >= limit:
            break
    return ids[:limit]
